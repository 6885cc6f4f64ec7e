import Provider, { type Adapter, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';

import type { ApiRegistry } from '../apis/index.js';
import type { AuditLog } from '../audit/index.js';
import type { Config } from '../config/index.js';
import type { KeySet, SigningAlg } from '../keys/index.js';
import type { DatabaseHealth, Metrics } from '../ops/index.js';
import { isDatabaseUnavailable } from '../ops/index.js';
import { hashToken, type ClientRecord, type ModelRecord, type SecretHasher } from '../store/index.js';
import type { Collection } from 'mongodb';
import type { TokenStore } from '../tokens/token-store.js';
import type { RegistrationPolicy } from '../registration/policy.js';
import {
  AUTH_METHODS, CLIENT_ASSERTION_ALGS, DEFAULT_ACCESS_TOKEN_TTL, EXTRA_CLIENT_METADATA,
  extraClientMetadataValidator,
} from './client-metadata.js';
import { initialAccessTokenOf, managedClientMetadataOf, registrationBodyOf } from './internals.js';
import { urlsFromIssuer } from './issuer-urls.js';
import { atomicReplayDetection, dpopFeature, dpopTokenErrors, DPOP_PROOF_ALGS } from './dpop.js';
import { ClientSecretCheck, type SecretHolder } from '../applications/secret-rotation.js';
import { registrationPolicy } from './registration-policy.js';
import { resourceIndicatorsFeature } from './resource-indicators.js';
import { providerResponses } from './provider-responses.js';

export const CLIENT_METADATA_POLICY = 'client-metadata';

export interface ProviderDeps {
  config: Config;
  keys: KeySet;
  registry: ApiRegistry;
  /** Our adapter factory (store/oidc-adapter): one adapter per model name. */
  adapter: (name: string) => Adapter;
  hasher: SecretHasher;
  tokens: TokenStore;
  log: Logger;
  metrics: Metrics;
  health: DatabaseHealth;
  audit: AuditLog;
  clients: Collection<ClientRecord>;
  /** Where DPoP proof and client assertion jtis are claimed (see dpop.ts). */
  replays?: Collection<ModelRecord>;
  /** Initial access token policies (src/registration). */
  registrationPolicies: {
    policyOf(initialAccessToken: string): Promise<RegistrationPolicy | undefined>;
    reserveUse(initialAccessToken: string): Promise<boolean>;
  };
}

/**
 * One oidc-provider instance for one key set and one API snapshot. When either changes the
 * holder builds a new one; all state lives in MongoDB, so swapping is invisible to clients.
 */
export function buildProvider(d: ProviderDeps): Provider {
  const { config, registry } = d;
  const scopes = [...registry.snapshot.scopeOwner.keys()];

  const configuration: Configuration = {
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
      clientCredentials: { enabled: true },
      dPoP: dpopFeature({ requireNonce: config.dpopRequireNonce, keyEncryptionSecret: config.keyEncryptionSecret }),
      // Ours, in src/tokens: they handle JWTs too, which oidc-provider refuses.
      introspection: { enabled: false },
      revocation: { enabled: false },
      registration: {
        enabled: true,
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

  const provider = new Provider(config.issuer, configuration);
  // Mounted in our app, whose proxy settings (hops) decide ctx.ip; kept alike for its own contexts.
  provider.proxy = config.trustProxyHops > 0;
  provider.maxIpsCount = config.trustProxyHops;
  urlsFromIssuer(provider);
  if (d.replays) atomicReplayDetection(provider, d.replays);
  dpopTokenErrors(provider);

  // Secrets are stored as keyed hashes (see store/oidc-adapter), with a previous one during a
  // rotation's grace period (see applications/secret-rotation); compare against those.
  const hasher = d.hasher;
  const secretCheck = new ClientSecretCheck(hasher, async (id) => {
    const doc = await d.clients.findOne({ _id: id }, { projection: { metadata: 1 } });
    return doc && doc.metadata['disabled'] !== true ? doc.metadata : undefined;
  });
  (provider.Client.prototype as unknown as {
    compareClientSecret(this: SecretHolder, actual: string): Promise<boolean>;
  }).compareClientSecret = function compareHashedSecret(actual) {
    return secretCheck.verify(actual, this);
  };

  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    if (isDatabaseUnavailable(err)) {
      d.log.warn({ error: { type: err.name, message: err.message }, path: ctx.path }, 'database unavailable');
      d.health.observe(err);
      // providerResponses turns this request's 500 into a 503 with Retry-After.
      ctx.state['databaseUnavailable'] = true;
      return;
    }
    d.log.error({ err, path: ctx.path }, 'provider request failed');
  });
  const countIssued = (format: string) => (token: { extra?: Record<string, unknown> }) => {
    const keyType = token.extra?.['key_type'];
    d.metrics.tokensIssued.inc({ format, key_type: typeof keyType === 'string' ? keyType : 'none' });
  };
  recordRegistrations(provider, d.audit);
  // oidc-provider emits "saved" for stored (opaque) tokens and "issued" for structured ones.
  provider.on('client_credentials.saved', countIssued('opaque'));
  provider.on('client_credentials.issued', countIssued('jwt'));

  keepBuiltClients(provider, d.adapter);

  provider.use(providerResponses({
    issuer: config.issuer,
    registry,
    hasher,
    findClient: (id) => provider.Client.find(id) as Promise<{ clientSecret?: string } | undefined>,
    isDisabled: async (id) => Boolean(await d.clients.findOne({ _id: id, 'metadata.disabled': true }, { projection: { _id: 1 } })),
  }));
  return provider;
}

/**
 * oidc-provider rebuilds (and re-validates) a Client from its metadata whenever its own
 * 100-entry cache misses, which with more active clients than that is every request. Our
 * adapter hands back the same metadata object while its cache holds it, so the Client built
 * from that object is kept beside it and reused; a changed record is a new object, hence a
 * fresh Client.
 */
function keepBuiltClients(provider: Provider, adapter: ProviderDeps['adapter']): void {
  const clientAdapter = adapter('Client');
  const Client = provider.Client as unknown as { find(id: string): Promise<unknown> };
  const original = Client.find.bind(Client);
  const built = new WeakMap<object, unknown>();
  Client.find = async (id: string) => {
    if (typeof id !== 'string' || !id) return undefined;
    const metadata = await clientAdapter.find(id);
    if (!metadata || typeof metadata !== 'object') return original(id);
    let client = built.get(metadata);
    if (!client) {
      client = await original(id);
      if (client) built.set(metadata, client);
    }
    return client;
  };
}

/** What the audit log keeps of a client's settings: the ones that decide what its tokens carry. */
function settingsOf(m: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!m) return {};
  const keep = ['client_name', 'scope', 'access_token_strategy', 'access_token_ttl'];
  return Object.fromEntries(keep.filter((k) => m[k] !== undefined).map((k) => [k, m[k]]));
}

/**
 * RFC 7591/7592 changes in the audit log: a registration names the initial access token it
 * used, an update what changed.
 */
function recordRegistrations(provider: Provider, audit: AuditLog): void {
  // These events are in oidc-provider's docs but not in its type map.
  const events = provider as unknown as NodeJS.EventEmitter;
  events.on('registration_create.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    const iat = initialAccessTokenOf(ctx);
    void audit.record({
      actor: iat ? `initial_access_token:${hashToken(iat)}` : 'registration',
      action: 'client.register',
      target: client.clientId,
      ip: ctx.ip,
      details: settingsOf(registrationBodyOf(ctx)),
    });
  });
  events.on('registration_update.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    void audit.record({
      actor: `client:${client.clientId}`,
      action: 'client.update',
      target: client.clientId,
      ip: ctx.ip,
      details: { before: settingsOf(managedClientMetadataOf(ctx)), after: settingsOf(registrationBodyOf(ctx)) },
    });
  });
  events.on('registration_delete.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    void audit.record({ actor: `client:${client.clientId}`, action: 'client.delete', target: client.clientId, ip: ctx.ip });
  });
}
