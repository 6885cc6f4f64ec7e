import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { Collection } from 'mongodb';
import type { Logger } from 'pino';

import type { AuditLog } from '../audit/index.js';
import type { Config } from '../config/index.js';
import type { DatabaseHealth, Metrics } from '../ops/index.js';
import { isDatabaseUnavailable } from '../ops/index.js';
import { hashToken, type ModelRecord, type SecretHasher } from '../store/index.js';
import { providerConfiguration, type ConfigurationDeps } from './configuration.js';
import { atomicReplayDetection, dpopTokenErrors } from './dpop.js';
import {
  compareSecretsAsHashes, findProviderClient, initialAccessTokenOf, managedClientMetadataOf, onProviderEvent,
  registrationBodyOf, reuseBuiltClients, urlsFromIssuer, type ClientSecrets,
} from './internals.js';
import {
  databaseUnavailableAs503, discoveryDocument, expiryOnlyWhenItExpires, registrationGuards, registrationResponseFields,
} from './provider-responses.js';


export interface ProviderDeps extends ConfigurationDeps {
  config: Pick<Config, 'issuer' | 'trustProxyHops' | 'maxAccessTokenTtl' | 'dpopRequireNonce' | 'keyEncryptionSecret'>;
  hasher: SecretHasher;
  log: Logger;
  metrics: Pick<Metrics, 'tokensIssued'>;
  health: Pick<DatabaseHealth, 'observe'>;
  audit: Pick<AuditLog, 'record'>;
  /** A disabled client's registration access token must not be spent on a refusal. */
  isClientDisabled(id: string): Promise<boolean>;
  /**
   * Checks a presented client secret against the client's current one and, during a rotation's
   * grace period, its previous one (applications/secret-rotation), both stored as keyed hashes.
   */
  verifyClientSecret(presented: string, client: ClientSecrets): Promise<boolean>;
  /** Where DPoP proof and client assertion jtis are claimed (see dpop.ts). */
  replays?: Collection<ModelRecord>;
}

/**
 * One oidc-provider instance for one key set and one API snapshot. When either changes the
 * holder builds a new one; all state lives in MongoDB, so swapping is invisible to clients.
 * The configuration is providerConfiguration's; this wires in what lives beside it: hashed
 * secrets, issuer-only URLs, logs, metrics, the audit log and our response shaping.
 */
export function buildProvider(d: ProviderDeps): Provider {
  const { config } = d;
  const provider = new Provider(config.issuer, providerConfiguration(d));
  // Mounted in our app, whose proxy settings (hops) decide ctx.ip; kept alike for its own contexts.
  provider.proxy = config.trustProxyHops > 0;
  provider.maxIpsCount = config.trustProxyHops;
  urlsFromIssuer(provider);
  compareSecretsAsHashes(provider, (presented, client) => d.verifyClientSecret(presented, client));
  const clientAdapter = d.adapter('Client');
  reuseBuiltClients(provider, (id) => clientAdapter.find(id));
  if (d.replays) atomicReplayDetection(provider, d.replays);
  dpopTokenErrors(provider);

  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    if (isDatabaseUnavailable(err)) {
      d.log.warn({ error: { type: err.name, message: err.message }, path: ctx.path }, 'database unavailable');
      d.health.observe(err);
      // databaseUnavailableAs503 turns this request's 500 into a 503 with Retry-After.
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

  // Outermost first: each sees the response after those used after it.
  provider.use(databaseUnavailableAs503());
  provider.use(discoveryDocument({ issuer: config.issuer, registry: d.registry }));
  provider.use(expiryOnlyWhenItExpires());
  provider.use(registrationResponseFields());
  provider.use(registrationGuards({
    hasher: d.hasher,
    findClient: (id) => findProviderClient(provider, id),
    isDisabled: d.isClientDisabled,
  }));
  return provider;
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
function recordRegistrations(provider: Provider, audit: Pick<AuditLog, 'record'>): void {
  onProviderEvent(provider, 'registration_create.success', (ctx, client: { clientId: string }) => {
    const iat = initialAccessTokenOf(ctx);
    void audit.record({
      actor: iat ? `initial_access_token:${hashToken(iat)}` : 'registration',
      action: 'client.register',
      target: client.clientId,
      ip: ctx.ip,
      details: settingsOf(registrationBodyOf(ctx)),
    });
  });
  onProviderEvent(provider, 'registration_update.success', (ctx, client: { clientId: string }) => {
    void audit.record({
      actor: `client:${client.clientId}`,
      action: 'client.update',
      target: client.clientId,
      ip: ctx.ip,
      details: { before: settingsOf(managedClientMetadataOf(ctx)), after: settingsOf(registrationBodyOf(ctx)) },
    });
  });
  onProviderEvent(provider, 'registration_delete.success', (ctx, client: { clientId: string }) => {
    void audit.record({ actor: `client:${client.clientId}`, action: 'client.delete', target: client.clientId, ip: ctx.ip });
  });
}
