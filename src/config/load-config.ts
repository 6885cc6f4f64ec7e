import { availableParallelism } from 'node:os';

import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

import { describeError, withExpects } from '../http/schema.js';
import { envSchema, type RawEnv } from './schema.js';

export interface Config {
  port: number;
  /** Listening address; undefined: every interface (IPv6 and IPv4). */
  host: string | undefined;
  issuer: string;
  /** Unset means: start the embedded local server under dataDir. */
  mongodbUri: string | undefined;
  mongodbDb: string;
  dataDir: string;
  /** Secret that wraps signing keys at rest and keys the client-secret hash. */
  keyEncryptionSecret: string;
  dcrInitialAccessToken: string | undefined;
  adminClientId: string;
  adminClientSecret: string | undefined;
  /** Seconds; -1 means never-expiring tokens are allowed and nothing is capped. */
  maxAccessTokenTtl: number;
  defaultSigningAlg: RawEnv['DEFAULT_SIGNING_ALG'];
  sweepIntervalSeconds: number;
  clientCacheSeconds: number;
  keyActivationDelaySeconds: number;
  /** Scheduled key rotation period in days (fractions allowed); 0: off. */
  keyRotationDays: number;
  /** DPoP proofs at the token endpoint must carry a server nonce. */
  dpopRequireNonce: boolean;
  configRefreshSeconds: number;
  /**
   * Reverse proxies in front of the server that append to X-Forwarded-For (0: none). The
   * client address is the one that many entries from the right; whatever precedes it was
   * written by the client and is ignored.
   */
  trustProxyHops: number;
  workers: number;
  tokenCacheSize: number;
  revocationSyncMs: number;
  rateLimitWindowSeconds: number;
  rateLimitTokenPerClient: number;
  rateLimitTokenPerAddress: number;
  rateLimitIntrospectionPerClient: number;
  rateLimitIntrospectionPerAddress: number;
  rateLimitRevocationPerClient: number;
  rateLimitRevocationPerAddress: number;
  rateLimitRevocationFeedPerClient: number;
  rateLimitRevocationFeedPerAddress: number;
  /** Bearer token /metrics requires; undefined: /metrics is open. */
  metricsToken: string | undefined;
  logLevel: RawEnv['LOG_LEVEL'];
  /** First portal admin, created at start. */
  adminUsername: string;
  /** Unset: generated once into `${dataDir}/admin-password`. */
  adminPassword: string | undefined;
  /** Failed portal sign-ins (per username and address) before the lock. */
  loginMaxAttempts: number;
  loginLockSeconds: number;
  /** Portal password checks at once in this process; more are refused, not queued. */
  loginConcurrentChecks: number;
  portalSessionSeconds: number;
  /** Self sign-up to the portal; off by default. */
  selfSignup: boolean;
  /** Lower-case e-mail domains self sign-up is limited to; empty: any. */
  selfSignupDomains: string[];
  invitationSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Only the variables we own are validated; the rest of process.env is left alone.
const OWN_KEYS = Object.keys(envSchema.properties ?? {});

const ajv = withExpects(new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true, verbose: true }));
addFormats.default(ajv);
const validate = ajv.compile(envSchema);

// Development fallback: stable across restarts so stored keys stay readable, loud in the log.
export const DEV_KEY_ENCRYPTION_SECRET = 'insecure-development-key-encryption-secret-change-me';

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, unknown> = {};
  for (const key of OWN_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }

  if (!validate(picked)) {
    const problems = (validate.errors ?? []).map(describeError);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const raw = picked as unknown as RawEnv;

  const issuer = (raw.ISSUER ?? `http://localhost:${raw.PORT}`).replace(/\/$/, '');
  // The development default is public (it is in this file), so anything that looks deployed
  // must bring its own: otherwise stored signing keys and client-secret hashes are as good as clear.
  const deployed = issuer.startsWith('https:') || raw.NODE_ENV === 'production';
  if (deployed && (!raw.KEY_ENCRYPTION_SECRET || raw.KEY_ENCRYPTION_SECRET === DEV_KEY_ENCRYPTION_SECRET)) {
    throw new ConfigError(
      'invalid configuration: KEY_ENCRYPTION_SECRET is required when ISSUER is https or NODE_ENV=production '
      + '(at least 32 characters; keep it stable and with your backups)',
    );
  }

  return {
    port: raw.PORT,
    host: raw.HOST,
    issuer,
    mongodbUri: raw.MONGODB_URI,
    mongodbDb: raw.MONGODB_DB ?? 'keyforge',
    dataDir: raw.DATA_DIR,
    keyEncryptionSecret: raw.KEY_ENCRYPTION_SECRET ?? DEV_KEY_ENCRYPTION_SECRET,
    dcrInitialAccessToken: raw.DCR_INITIAL_ACCESS_TOKEN,
    adminClientId: raw.ADMIN_CLIENT_ID,
    adminClientSecret: raw.ADMIN_CLIENT_SECRET,
    maxAccessTokenTtl: raw.MAX_ACCESS_TOKEN_TTL,
    defaultSigningAlg: raw.DEFAULT_SIGNING_ALG,
    sweepIntervalSeconds: raw.SWEEP_INTERVAL_SECONDS,
    clientCacheSeconds: raw.CLIENT_CACHE_SECONDS,
    keyActivationDelaySeconds: raw.KEY_ACTIVATION_DELAY_SECONDS,
    keyRotationDays: raw.KEY_ROTATION_DAYS,
    dpopRequireNonce: raw.DPOP_REQUIRE_NONCE,
    configRefreshSeconds: raw.CONFIG_REFRESH_SECONDS,
    trustProxyHops: proxyHops(raw.TRUST_PROXY),
    workers: raw.WORKERS,
    tokenCacheSize: raw.TOKEN_CACHE_SIZE,
    revocationSyncMs: raw.REVOCATION_SYNC_MS,
    rateLimitWindowSeconds: raw.RATE_LIMIT_WINDOW_SECONDS,
    rateLimitTokenPerClient: raw.RATE_LIMIT_TOKEN_PER_CLIENT,
    rateLimitTokenPerAddress: raw.RATE_LIMIT_TOKEN_PER_ADDRESS,
    rateLimitIntrospectionPerClient: raw.RATE_LIMIT_INTROSPECTION_PER_CLIENT,
    rateLimitIntrospectionPerAddress: raw.RATE_LIMIT_INTROSPECTION_PER_ADDRESS,
    rateLimitRevocationPerClient: raw.RATE_LIMIT_REVOCATION_PER_CLIENT,
    rateLimitRevocationPerAddress: raw.RATE_LIMIT_REVOCATION_PER_ADDRESS,
    rateLimitRevocationFeedPerClient: raw.RATE_LIMIT_REVOCATION_FEED_PER_CLIENT,
    rateLimitRevocationFeedPerAddress: raw.RATE_LIMIT_REVOCATION_FEED_PER_ADDRESS,
    metricsToken: raw.METRICS_TOKEN,
    logLevel: raw.LOG_LEVEL,
    adminUsername: raw.ADMIN_USERNAME,
    adminPassword: raw.ADMIN_PASSWORD,
    loginMaxAttempts: raw.LOGIN_MAX_ATTEMPTS,
    loginLockSeconds: raw.LOGIN_LOCK_SECONDS,
    // One per core, but at least 2 and at most libuv's default pool of 4 threads that scrypt runs on.
    loginConcurrentChecks: raw.LOGIN_CONCURRENT_CHECKS || Math.min(4, Math.max(2, availableParallelism())),
    portalSessionSeconds: raw.PORTAL_SESSION_SECONDS,
    selfSignup: raw.SELF_SIGNUP === 'true',
    selfSignupDomains: (raw.SELF_SIGNUP_DOMAINS ?? '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean),
    invitationSeconds: raw.INVITATION_SECONDS,
  };
}

/** TRUST_PROXY: a number of hops; `true` (the older form) is one proxy, `false` none. */
function proxyHops(value: string): number {
  if (value === 'true') return 1;
  if (value === 'false') return 0;
  return Number(value);
}
