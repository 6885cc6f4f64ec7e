import type { Adapter, Configuration, KoaContextWithOIDC } from 'oidc-provider';

import type { ApiRegistry } from '../apis/index.js';
import type { Config } from '../config/index.js';
import {
  AUTH_METHODS, CLIENT_ASSERTION_ALGS, DEFAULT_ACCESS_TOKEN_TTL, type SigningAlg,
} from '../consts/index.js';
import type { SigningKeySet } from '../keys/index.js';
import type { RegistrationPolicy } from '../registration/policy.js';
import { randomId } from '../store/index.js';
import type { JwtIssue } from '../tokens/token-store.js';
import { EXTRA_CLIENT_METADATA, extraClientMetadataValidator } from './client-metadata.js';
import { dpopFeature, DPOP_PROOF_ALGS } from './dpop.js';
import { registrationPolicy } from './registration-policy.js';
import { resourceIndicatorsFeature } from './resource-indicators.js';

export const CLIENT_METADATA_POLICY = 'client-metadata';

/** What the configuration reads: settings, keys, APIs, and the two stores it hands work to. */
export interface ConfigurationDeps {
  config: Pick<Config, 'maxAccessTokenTtl' | 'dpopRequireNonce' | 'keyEncryptionSecret'>;
  keys: SigningKeySet;
  registry: ApiRegistry;
  /** Our adapter factory (store/oidc-adapter): one adapter per model name. */
  adapter: (name: string) => Adapter;
  /** Where issued JWTs are recorded, as opaque tokens are through the adapter. */
  tokens: { recordJwt(t: JwtIssue): Promise<void> };
  /** Initial access token policies (src/registration). */
  registrationPolicies: {
    policyOf(initialAccessToken: string): Promise<RegistrationPolicy | undefined>;
    reserveUse(initialAccessToken: string): Promise<boolean>;
  };
}

/**
 * oidc-provider's configuration for one key set and one API snapshot: a pure function of its
 * inputs, so what the provider does can be read here without the wiring around it.
 */
export function providerConfiguration(d: ConfigurationDeps): Configuration {
  const { config, registry } = d;
  const scopes = [...registry.snapshot.scopeOwner.keys()];

  return {
    adapter: d.adapter,
    jwks: d.keys.jwks as Configuration['jwks'],
    scopes,
    clientAuthMethods: [...AUTH_METHODS],
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    responseTypes: ['none'],
    enabledJWA: {
      clientAuthSigningAlgValues: [...CLIENT_ASSERTION_ALGS],
      dPoPSigningAlgValues: [...DPOP_PROOF_ALGS],
    },
    extraClientMetadata: {
      properties: [...EXTRA_CLIENT_METADATA],
      validator: extraClientMetadataValidator,
    },
    // key_type rides along in opaque payloads and JWT claims alike.
    extraTokenClaims: (_ctx, token) => {
      const keyType = token.client?.['key_type'];
      return typeof keyType === 'string' ? { key_type: keyType } : undefined;
    },
    formats: {
      customizers: {
        jwt: async (_ctx, token, parts) => {
          const p = parts.payload;
          await d.tokens.recordJwt({
            jti: String(p['jti']),
            client_id: token.clientId!,
            scope: typeof p['scope'] === 'string' ? p['scope'] : undefined,
            aud: p['aud'] as string | string[] | undefined,
            iat: Number(p['iat']),
            exp: typeof p['exp'] === 'number' ? p['exp'] : undefined,
            key_type: typeof p['key_type'] === 'string' ? p['key_type'] : undefined,
            jkt: (p['cnf'] as { jkt?: string } | undefined)?.jkt,
          });
        },
      },
    },
    ttl: {
      ClientCredentials: ((_ctx: KoaContextWithOIDC, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? DEFAULT_ACCESS_TOKEN_TTL) as unknown as number,
    },
    features: {
      devInteractions: { enabled: false },
      // On by default in oidc-provider 9; there is no authorization endpoint to push to here.
      pushedAuthorizationRequests: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: dpopFeature({ requireNonce: config.dpopRequireNonce, keyEncryptionSecret: config.keyEncryptionSecret }),
      // Ours, in src/tokens: they handle JWTs too, which oidc-provider refuses.
      introspection: { enabled: false },
      revocation: { enabled: false },
      registration: {
        enabled: true,
        // Client ids are typed on command lines too: none begins with '-' (see randomId).
        idFactory: () => randomId(18),
        initialAccessToken: true,
        issueRegistrationAccessToken: true,
        policies: {
          [CLIENT_METADATA_POLICY]: registrationPolicy({
            registry,
            maxAccessTokenTtl: config.maxAccessTokenTtl,
            systemScopesAllowed: false,
            policyOf: (iat) => d.registrationPolicies.policyOf(iat),
            reserveUse: (iat) => d.registrationPolicies.reserveUse(iat),
          }),
        },
      },
      // Every update answers with a new registration access token and ends the old one, so a
      // leaked token stops working at its owner's next update (RFC 7592 §2.2 allows this).
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      resourceIndicators: resourceIndicatorsFeature({
        registry,
        maxAccessTokenTtl: config.maxAccessTokenTtl,
        signingKid: (alg: SigningAlg) => d.keys.signingKid.get(alg)!,
      }) as NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>,
    },
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}
