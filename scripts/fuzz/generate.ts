// The mix: which endpoint group the next request goes to, by weight.

import type { Fixtures } from './fixtures.js';
import type { FuzzRequest } from './http-client.js';
import { managementRequest } from './management-requests.js';
import {
  introspectionRequest, revocationFeedRequest, revocationRequest, tokenRequest, type Report,
} from './oauth-requests.js';
import { portalRequest } from './portal-requests.js';
import { publicRequest } from './public-requests.js';
import type { Rng } from './random.js';
import { registrationRequest } from './registration-requests.js';

export function nextRequest(rng: Rng, f: Fixtures, report: Report): FuzzRequest {
  return rng.weighted<FuzzRequest>([
    [22, () => tokenRequest(rng, f, report)],
    [15, () => introspectionRequest(rng, f, report)],
    [8, () => revocationRequest(rng, f)],
    [4, () => revocationFeedRequest(rng, f)],
    [10, () => registrationRequest(rng, f)],
    [18, () => managementRequest(rng, f)],
    [15, () => portalRequest(rng, f)],
    [8, () => publicRequest(rng)],
  ]);
}
