import type { Logger } from 'pino';

import { createAccountServices, type AccountServices } from './accounts/index.js';
import { ApiRegistry } from './apis/index.js';
import { Applications, ClientSecretCheck } from './applications/index.js';
import { AuditLog } from './audit/index.js';
import type { Config } from './config/index.js';
import { MANAGEMENT_API_PATH } from './consts/index.js';
import { SigningKeys } from './keys/index.js';
import { RateLimiter } from './limits/index.js';
import { DatabaseHealth, failureLogger, Metrics } from './ops/index.js';
import {
  CLIENT_METADATA_POLICY, findProviderClient, ProviderHolder, saveInitialAccessToken, saveRegistrationAccessToken,
} from './provider/index.js';
import { createPortal, type Portal } from './portal/index.js';
import { InitialAccessTokens, RegisteredClients } from './registration/index.js';
import { claimReplay, createAdapterFactory, pruneClientScopes, SecretHasher, type Store } from './store/index.js';
import { publicJwks, TokenInspector, TokenStore, type AuthClient } from './tokens/index.js';
import { createUsage, type Usage } from './usage/index.js';

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
  self: SelfAddress;
  initialAccessTokens: InitialAccessTokens;
  registeredClients: RegisteredClients;
  applications: Applications;
  /** Portal accounts, their invitation links and which APIs are published to developers. */
  accounts: AccountServices;
  /** Usage counters (this instance's) and the reports summed over every instance. */
  usage: Usage;
  /** The developer portal's shared parts; it sees every other service. */
  portal: Portal;
}

/** Where this process listens, set once by server.ts; asking earlier is a programming error. */
export class SelfAddress {
  #url: string | undefined;

  listeningAt(url: string): void {
    this.#url = url;
  }

  get url(): string {
    if (!this.#url) throw new Error('the server is not listening yet');
    return this.#url;
  }
}


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
  registry.beforeScopesRemoved(async (names) => {
    const changed = await pruneClientScopes(store.collections, adapter('Client'), names);
    if (changed) log.info({ scopes: names, clients: changed }, 'removed scopes dropped from clients');
  });
  const inspector = new TokenInspector(tokens, config.issuer, { keys: [] }, () => holder.refresh());
  const initialAccessTokens: InitialAccessTokens = new InitialAccessTokens(
    store.collections.model('InitialAccessToken'),
    store.collections.model('InitialAccessTokenUse'),
    registry,
    (expiresIn, value) => saveInitialAccessToken(holder.provider, {
      ...(value ? { value } : {}), ...(expiresIn ? { expiresIn } : {}), policy: CLIENT_METADATA_POLICY,
    }),
  );
  const registeredClients = new RegisteredClients({
    collections: store.collections,
    clientAdapter: adapter('Client'),
    adminClientId: config.adminClientId,
    issueRegistrationAccessToken: (clientId) => saveRegistrationAccessToken(holder.provider, clientId, CLIENT_METADATA_POLICY),
  });
  // A disabled client's stored record answers no secret, current or previous.
  const secretCheck = new ClientSecretCheck(hasher, async (id) => {
    const doc = await store.collections.clients.findOne({ _id: id }, { projection: { metadata: 1 } });
    return doc && doc.metadata['disabled'] !== true ? doc.metadata : undefined;
  });
  const holder: ProviderHolder = new ProviderHolder(
    {
      config, registry, adapter, hasher, tokens, log, metrics, health, audit,
      isClientDisabled: async (id) => Boolean(await store.collections.clients.findOne(
        { _id: id, 'metadata.disabled': true }, { projection: { _id: 1 } })),
      verifyClientSecret: (presented, client) => secretCheck.verify(presented, client),
      replays: store.collections.model('ReplayDetection'),
      registrationPolicies: initialAccessTokens,
    },
    signingKeys,
    (keys) => inspector.setKeys(publicJwks(keys.jwks as { keys: Record<string, unknown>[] })),
  );
  await holder.init();

  const self = new SelfAddress();
  const applications = new Applications({
    db: store.db,
    clientAdapter: adapter('Client'),
    clients: store.collections.clients,
    secondaryIndexes: store.secondaryIndexes,
    registry,
    tokens,
    maxAccessTokenTtl: config.maxAccessTokenTtl,
    refreshProvider: () => holder.refresh(),
    selfUrl: () => self.url,
  });
  const accounts = createAccountServices(store.db, config.invitationSeconds);
  const usage = createUsage(store.db, log);
  const s: Omit<Services, 'portal'> = {
    config, log, store, hasher, signingKeys, registry, tokens, inspector, holder, adapter, metrics, health,
    audit, limiter, initialAccessTokens, registeredClients, applications, accounts, usage, self,
    findClient: (id) => findProviderClient(holder.provider, id),
    // The record oidc-provider's ReplayDetection keeps for /token (see store/replay-claims), so
    // an assertion spent at any endpoint is spent at all of them.
    markAssertionUsed: (clientId, jti, exp) => claimReplay(store.collections.model('ReplayDetection'), clientId, jti, exp),
  };
  return { ...s, portal: createPortal(s) };
}
