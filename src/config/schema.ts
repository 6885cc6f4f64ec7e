import type { JSONSchemaType } from 'ajv';

/** The environment as read, before defaults that depend on other values (ISSUER from PORT). */
export interface RawEnv {
  PORT: number;
  HOST?: string;
  ISSUER?: string;
  MONGODB_URI?: string;
  MONGODB_DB?: string;
  DATA_DIR: string;
  KEY_ENCRYPTION_SECRET?: string;
  DCR_INITIAL_ACCESS_TOKEN?: string;
  ADMIN_CLIENT_ID: string;
  ADMIN_CLIENT_SECRET?: string;
  MAX_ACCESS_TOKEN_TTL: number;
  DEFAULT_SIGNING_ALG: 'RS256' | 'ES256' | 'EdDSA';
  SWEEP_INTERVAL_SECONDS: number;
  CLIENT_CACHE_SECONDS: number;
  KEY_ACTIVATION_DELAY_SECONDS: number;
  KEY_ROTATION_DAYS: number;
  DPOP_REQUIRE_NONCE: boolean;
  CONFIG_REFRESH_SECONDS: number;
  TRUST_PROXY: string;
  WORKERS: number;
  TOKEN_CACHE_SIZE: number;
  REVOCATION_SYNC_MS: number;
  RATE_LIMIT_WINDOW_SECONDS: number;
  RATE_LIMIT_TOKEN_PER_CLIENT: number;
  RATE_LIMIT_TOKEN_PER_ADDRESS: number;
  RATE_LIMIT_INTROSPECTION_PER_CLIENT: number;
  RATE_LIMIT_INTROSPECTION_PER_ADDRESS: number;
  RATE_LIMIT_REVOCATION_PER_CLIENT: number;
  RATE_LIMIT_REVOCATION_PER_ADDRESS: number;
  RATE_LIMIT_REVOCATION_FEED_PER_CLIENT: number;
  RATE_LIMIT_REVOCATION_FEED_PER_ADDRESS: number;
  METRICS_TOKEN?: string;
  NODE_ENV?: string;
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  ADMIN_USERNAME: string;
  ADMIN_PASSWORD?: string;
  LOGIN_MAX_ATTEMPTS: number;
  LOGIN_LOCK_SECONDS: number;
  LOGIN_CONCURRENT_CHECKS: number;
  PORTAL_SESSION_SECONDS: number;
  SELF_SIGNUP: 'true' | 'false';
  SELF_SIGNUP_DOMAINS?: string;
  INVITATION_SECONDS: number;
}

export const envSchema: JSONSchemaType<RawEnv> = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    // The address to listen on: an IPv4 or IPv6 address or a host name. Unset: every interface.
    HOST: { type: 'string', pattern: '^([A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$', nullable: true, expects: 'an IP address or a host name' },
    ISSUER: { type: 'string', format: 'uri', pattern: '^https?://[^?#]+$', nullable: true, expects: 'an http:// or https:// URL without query or fragment' },
    MONGODB_URI: { type: 'string', pattern: '^mongodb(\\+srv)?://', nullable: true, expects: 'a connection string starting with mongodb:// or mongodb+srv://' },
    MONGODB_DB: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,63}$', nullable: true, expects: '1 to 63 letters, digits, _ or -' },
    DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    KEY_ENCRYPTION_SECRET: { type: 'string', minLength: 32, nullable: true },
    DCR_INITIAL_ACCESS_TOKEN: { type: 'string', minLength: 16, nullable: true },
    ADMIN_CLIENT_ID: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$', default: 'admin', expects: '1 to 128 letters, digits, ., _, ~ or -' },
    ADMIN_CLIENT_SECRET: { type: 'string', minLength: 16, nullable: true },
    // -1 allows never-expiring tokens; a positive number caps every client's TTL.
    MAX_ACCESS_TOKEN_TTL: { type: 'integer', minimum: -1, not: { const: 0 }, default: -1, expects: '-1 (no cap) or a positive number of seconds' },
    DEFAULT_SIGNING_ALG: { type: 'string', enum: ['RS256', 'ES256', 'EdDSA'], default: 'RS256' },
    SWEEP_INTERVAL_SECONDS: { type: 'integer', minimum: 1, maximum: 86400, default: 60 },
    CLIENT_CACHE_SECONDS: { type: 'integer', minimum: 0, maximum: 300, default: 5 },
    // A rotated key is published at once and signs after this delay (> CONFIG_REFRESH_SECONDS).
    KEY_ACTIVATION_DELAY_SECONDS: { type: 'integer', minimum: 0, maximum: 86400, default: 15 },
    // Scheduled rotation: a key older than this many days is replaced (fractions allowed); 0: off.
    KEY_ROTATION_DAYS: { type: 'number', minimum: 0, maximum: 3650, default: 0 },
    // DPoP proofs at the token endpoint must carry a nonce the server gave (RFC 9449 §8).
    DPOP_REQUIRE_NONCE: { type: 'boolean', default: false },
    // How often each instance looks for keys and APIs changed by another instance.
    CONFIG_REFRESH_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 5 },
    // Only behind reverse proxies: how many of them append to X-Forwarded-For (true = 1).
    TRUST_PROXY: { type: 'string', pattern: '^(true|false|[0-9]|[1-2][0-9]|3[0-2])$', default: 'false', expects: 'true, false, or a number of proxy hops from 0 to 32' },
    // Server processes sharing the port (node:cluster); 0 = one per CPU core.
    WORKERS: { type: 'integer', minimum: 0, maximum: 64, default: 1 },
    // Active token records kept in memory per process; 0 reads the database every time.
    TOKEN_CACHE_SIZE: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 20_000 },
    // How often revocations made by other instances are read; bounds how long they may be missed.
    REVOCATION_SYNC_MS: { type: 'integer', minimum: 50, maximum: 60_000, default: 500 },
    RATE_LIMIT_WINDOW_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
    // Token requests per window; 0 turns a limit off.
    RATE_LIMIT_TOKEN_PER_CLIENT: { type: 'integer', minimum: 0, default: 600 },
    RATE_LIMIT_TOKEN_PER_ADDRESS: { type: 'integer', minimum: 0, default: 6000 },
    // The other endpoints that authenticate a client; introspection is the hot path of every API.
    RATE_LIMIT_INTROSPECTION_PER_CLIENT: { type: 'integer', minimum: 0, default: 60000 },
    RATE_LIMIT_INTROSPECTION_PER_ADDRESS: { type: 'integer', minimum: 0, default: 60000 },
    RATE_LIMIT_REVOCATION_PER_CLIENT: { type: 'integer', minimum: 0, default: 600 },
    RATE_LIMIT_REVOCATION_PER_ADDRESS: { type: 'integer', minimum: 0, default: 6000 },
    RATE_LIMIT_REVOCATION_FEED_PER_CLIENT: { type: 'integer', minimum: 0, default: 6000 },
    RATE_LIMIT_REVOCATION_FEED_PER_ADDRESS: { type: 'integer', minimum: 0, default: 6000 },
    // Unset: /metrics answers anyone who can reach the port.
    METRICS_TOKEN: { type: 'string', minLength: 16, maxLength: 1024, nullable: true },
    // Read only to refuse the development key secret in production.
    NODE_ENV: { type: 'string', nullable: true },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    },
    // The first portal admin; without a password one is generated into DATA_DIR.
    ADMIN_USERNAME: { type: 'string', pattern: '^[A-Za-z0-9._@-]{1,64}$', default: 'admin', expects: '1 to 64 letters, digits, ., _, @ or -' },
    ADMIN_PASSWORD: { type: 'string', minLength: 12, maxLength: 1024, nullable: true },
    LOGIN_MAX_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
    LOGIN_LOCK_SECONDS: { type: 'integer', minimum: 1, maximum: 86400, default: 900 },
    // Portal password checks (scrypt, 32 MiB each) running at once per process; 0 = by CPU cores.
    LOGIN_CONCURRENT_CHECKS: { type: 'integer', minimum: 0, maximum: 64, default: 0 },
    PORTAL_SESSION_SECONDS: { type: 'integer', minimum: 60, maximum: 2592000, default: 28800 },
    // Developers may create their own portal accounts; off: only invitations from an admin.
    SELF_SIGNUP: { type: 'string', enum: ['true', 'false'], default: 'false' },
    // With SELF_SIGNUP, only e-mail addresses at these domains (comma-separated) may sign up.
    SELF_SIGNUP_DOMAINS: { type: 'string', pattern: '^[A-Za-z0-9.-]+(\\s*,\\s*[A-Za-z0-9.-]+)*$', maxLength: 2000, nullable: true, expects: 'domains separated by commas, e.g. example.com,example.org' },
    // How long an invitation or password-reset link stays usable.
    INVITATION_SECONDS: { type: 'integer', minimum: 300, maximum: 2592000, default: 604800 },
  },
  required: [
    'PORT', 'DATA_DIR', 'ADMIN_CLIENT_ID', 'MAX_ACCESS_TOKEN_TTL', 'DEFAULT_SIGNING_ALG',
    'SWEEP_INTERVAL_SECONDS', 'CLIENT_CACHE_SECONDS', 'KEY_ACTIVATION_DELAY_SECONDS', 'KEY_ROTATION_DAYS', 'DPOP_REQUIRE_NONCE',
    'CONFIG_REFRESH_SECONDS', 'TRUST_PROXY', 'WORKERS', 'TOKEN_CACHE_SIZE', 'REVOCATION_SYNC_MS', 'RATE_LIMIT_WINDOW_SECONDS', 'RATE_LIMIT_TOKEN_PER_CLIENT',
    'RATE_LIMIT_TOKEN_PER_ADDRESS', 'RATE_LIMIT_INTROSPECTION_PER_CLIENT', 'RATE_LIMIT_INTROSPECTION_PER_ADDRESS',
    'RATE_LIMIT_REVOCATION_PER_CLIENT', 'RATE_LIMIT_REVOCATION_PER_ADDRESS',
    'RATE_LIMIT_REVOCATION_FEED_PER_CLIENT', 'RATE_LIMIT_REVOCATION_FEED_PER_ADDRESS', 'LOG_LEVEL',
    'ADMIN_USERNAME', 'LOGIN_MAX_ATTEMPTS', 'LOGIN_LOCK_SECONDS', 'LOGIN_CONCURRENT_CHECKS', 'PORTAL_SESSION_SECONDS',
    'SELF_SIGNUP', 'INVITATION_SECONDS',
  ],
  additionalProperties: true,
};
