import { errors } from 'oidc-provider';

import {
  applyRegistrationPolicy, isRegistrationPolicy, policyOfExistingClient, type RegistrationPolicy,
} from '../registration/policy.js';
import { checkClientMetadata, type MetadataPolicyOptions } from './client-metadata.js';
import { initialAccessTokenOf, managedClientMetadataOf } from './internals.js';
import { PREVIOUS_SECRET, PREVIOUS_SECRET_EXPIRES_AT } from '../applications/secret-rotation.js';

function previousSecretOf(stored: Record<string, unknown>): Record<string, unknown> {
  return stored[PREVIOUS_SECRET] === undefined ? {} : {
    [PREVIOUS_SECRET]: stored[PREVIOUS_SECRET],
    [PREVIOUS_SECRET_EXPIRES_AT]: stored[PREVIOUS_SECRET_EXPIRES_AT],
  };
}

/** Metadata a client-credentials client has; anything else is ignored (RFC 7591 §2). */
const ACCEPTED = new Set([
  'client_id', 'client_id_issued_at', 'client_secret', 'client_secret_expires_at',
  'client_name', 'contacts', 'grant_types', 'response_types', 'redirect_uris',
  'token_endpoint_auth_method', 'token_endpoint_auth_signing_alg', 'jwks', 'scope',
  'access_token_strategy', 'access_token_ttl', 'dpop_bound_access_tokens',
]);

/**
 * URL-valued metadata: this server never fetches or shows a URL a client names (a request
 * to one would be server-side request forgery), so naming one is refused, not ignored.
 * redirect_uris are left to the metadata schema, which answers invalid_redirect_uri.
 */
const URL_VALUED = /_uris?$/;

export interface RegistrationGovernance extends MetadataPolicyOptions {
  /** The policy an initial access token carries (undefined: no such token). */
  policyOf(initialAccessToken: string): Promise<RegistrationPolicy | undefined>;
  /** Takes one use of the token; false when none is left. */
  reserveUse(initialAccessToken: string): Promise<boolean>;
}

/**
 * The `features.registration.policies` entry that oidc-provider runs on every registration
 * (with the initial access token's policy) and every RFC 7592 update (with the policy
 * recorded on the client). The body is trimmed to what we serve; the policy is ours to set.
 */
export function registrationPolicy(o: RegistrationGovernance) {
  return async function clientMetadataPolicy(ctx: unknown, properties: Record<string, unknown>): Promise<void> {
    const urlField = Object.keys(properties).find((k) => k !== 'redirect_uris' && URL_VALUED.test(k));
    if (urlField) {
      throw new errors.InvalidClientMetadata(`${urlField} is not supported: this server accepts no URL-valued client metadata`);
    }
    for (const key of Object.keys(properties)) {
      if (!ACCEPTED.has(key)) delete properties[key];
    }
    const problem = checkClientMetadata(properties, o);
    if (problem) throw new errors.InvalidClientMetadata(problem.message);

    const iat = initialAccessTokenOf(ctx);
    let policy: RegistrationPolicy | undefined;
    if (iat) {
      policy = await o.policyOf(iat);
    } else {
      const stored = managedClientMetadataOf(ctx);
      // An RFC 7592 update replaces the metadata; a secret rotation in progress is not the client's to end.
      if (stored) Object.assign(properties, previousSecretOf(stored));
      if (stored) {
        const recorded = stored['registration_policy'];
        policy = isRegistrationPolicy(recorded) ? recorded : policyOfExistingClient(stored);
      }
    }
    if (!policy) throw new errors.InvalidToken('no registration policy applies to this request');
    const outside = applyRegistrationPolicy(properties, policy, o.registry);
    if (outside) throw new errors.InvalidClientMetadata(outside.message);

    if (iat && !(await o.reserveUse(iat))) throw new errors.InvalidToken('initial access token has no registrations left');
    properties['registration_policy'] = policy;
  };
}
