import type { ApiRegistry } from '../apis/index.js';
import type { RegistrationPolicy } from '../registration/index.js';

/** A registration policy as the portal shows it: what it allows, in words people know. */
export interface PolicyView {
  allApis: boolean;
  /** Whole APIs, by name where the API still exists. */
  apis: { name: string; identifier: string }[];
  scopes: string[];
  formats: string[];
  maxTtl?: number;
}

export function policyView(
  policy: Pick<RegistrationPolicy, 'all_apis' | 'allowed_apis' | 'allowed_scopes' | 'token_formats' | 'max_access_token_ttl'> | undefined,
  registry: ApiRegistry,
): PolicyView | undefined {
  if (!policy) return undefined;
  return {
    allApis: Boolean(policy.all_apis),
    apis: (policy.allowed_apis ?? []).map((identifier) => ({ identifier, name: registry.get(identifier)?.name ?? identifier })),
    scopes: policy.allowed_scopes ?? [],
    formats: policy.token_formats,
    ...(policy.max_access_token_ttl ? { maxTtl: policy.max_access_token_ttl } : {}),
  };
}
