import type { Logger } from 'pino';

import { ApiRegistry } from './apis/index.js';
import { AuditLog } from './audit/index.js';
import type { Config } from './config/index.js';
import { SigningKeys } from './keys/index.js';
import { RateLimiter } from './limits/index.js';
import { DatabaseHealth, failureLogger, Metrics } from './ops/index.js';
import { CLIENT_METADATA_POLICY, ProviderHolder } from './provider/index.js';
import { InitialAccessTokens, RegisteredClients } from './registration/index.js';
import { createAdapterFactory, hashToken, pruneClientScopes, SecretHasher, type Store } from './store/index.js';
import { publicJwks, TokenInspector, TokenStore, type AuthClient } from './tokens/index.js';

/** Everything a request handler may need, built once per process. */
export interface Services {
  config: Config;
  log: Logger;
  store: Store;
  hasher: SecretHasher;
  signingKeys: SigningKeys;
  registry: ApiRegistry;
  tokens: TokenStore;
  inspector: TokenInspector;
  holder: ProviderHolder;
  adapter: ReturnType<typeof createAdapterFactory>;
  metrics: Metrics;
  health: DatabaseHealth;
  audit: AuditLog;
  limiter: RateLimiter;
  findClient(id: string): Promise<AuthClient | undefined>;
  markAssertionUsed(clientId: string, jti: string, exp: number): Promise<boolean>;
  /** Where this process itself answers (http://127.0.0.1:PORT), known once it listens. */
  selfUrl: string;
  initialAccessTokens: InitialAccessTokens;
  registeredClients: RegisteredClients;
}

export const MANAGEMENT_API_PATH = '/api';

export async function createServices(config: Config, store: Store, log: Logger): Promise<Services> {
  const metrics = new Metrics();
  const health = new DatabaseHealth(store.client);
  store.client.on('commandSucceeded', (e) => {
    metrics.dbDuration.observe({ command: e.commandName, outcome: 'ok' }, e.duration / 1000);
  });
  store.client.on('commandFailed', (e) => {
    metrics.dbDuration.observe({ command: e.commandName, outcome: 'error' }, e.duration / 1000);
  });
  const hasher = new SecretHasher(config.keyEncryptionSecret);
  const signingKeys = new SigningKeys(store.db, config.keyEncryptionSecret);
  await signingKeys.ensure();
  const registry = new ApiRegistry(store.db, config.defaultSigningAlg);
  await registry.ensureSystemApi(config.issuer + MANAGEMENT_API_PATH);

  const audit = new AuditLog(store.db, (err) => log.error({ err }, 'audit log write failed'));
  await audit.ensureIndexes();
  const limiter = new RateLimiter(store.collections.rateLimits, {
    windowSeconds: config.rateLimitWindowSeconds,
    onError: failureLogger(log, 'rate limit counters could not be shared'),
  });
  const tokens = new TokenStore(store.collections);
  const adapter = createAdapterFactory({
    collections: store.collections,
    hasher,
    clientCacheSeconds: config.clientCacheSeconds,
  });
  let holderRef: ProviderHolder | undefined;
  registry.beforeScopesRemoved(async (names) => {
    const changed = await pruneClientScopes(store.collections, adapter('Client'), names);
    if (changed) log.info({ scopes: names, clients: changed }, 'removed scopes dropped from clients');
  });
  const inspector = new TokenInspector(tokens, config.issuer, { keys: [] }, async () => holderRef?.refresh());
  const initialAccessTokens: InitialAccessTokens = new InitialAccessTokens(
    store.collections.model('InitialAccessToken'),
    store.collections.model('InitialAccessTokenUse'),
    registry,
    (expiresIn, value): Promise<string> => {
      const { InitialAccessToken } = holder.provider;
      return new InitialAccessToken({
        ...(value ? { jti: value } : {}),
        policies: [CLIENT_METADATA_POLICY],
        ...(expiresIn ? { expiresIn } : {}),
      } as ConstructorParameters<typeof InitialAccessToken>[0]).save();
    },
  );
  const registeredClients = new RegisteredClients({
    collections: store.collections,
    clientAdapter: adapter('Client'),
    adminClientId: config.adminClientId,
    issueRegistrationAccessToken: (clientId): Promise<string> => {
      const { RegistrationAccessToken } = holder.provider;
      const Rat = RegistrationAccessToken as unknown as new (p: { clientId: string; policies: string[] }) => { save(): Promise<string> };
      return new Rat({ clientId, policies: [CLIENT_METADATA_POLICY] }).save();
    },
  });
  const holder: ProviderHolder = new ProviderHolder(
    {
      config, registry, adapter, hasher, tokens, log, metrics, health, audit,
      clients: store.collections.clients,
      replays: store.collections.model('ReplayDetection'),
      registrationPolicies: initialAccessTokens,
    },
    signingKeys,
    (keys) => inspector.setKeys(publicJwks(keys.jwks as { keys: Record<string, unknown>[] })),
  );
  holderRef = holder;
  await holder.init();

  const s: Services = {
    config, log, store, hasher, signingKeys, registry, tokens, inspector, holder, adapter, metrics, health,
    audit, limiter, initialAccessTokens, registeredClients,
    selfUrl: '',
    findClient: async (id) => (await holder.provider.Client.find(id)) as unknown as AuthClient | undefined,
    markAssertionUsed: async (clientId, jti, exp) => {
      const coll = store.collections.model('ReplayDetection');
      try {
        await coll.insertOne({
          _id: hashToken(`${clientId}:${jti}`),
          payload: {},
          expiresAt: new Date(exp * 1000),
        });
        return true;
      } catch {
        return false;
      }
    },
  };
  return s;
}
