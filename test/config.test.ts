import { existsSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ConfigError, DEV_KEY_ENCRYPTION_SECRET, loadConfig } from '../src/config/index.js';
import { envSchema } from '../src/config/schema.js';
import { patternsWithoutWords } from '../src/http/index.js';
import { MAIN, spawnServer } from './support/processes.js';

const SECRET = 'a-key-encryption-secret-of-32-characters-or-more';

describe('configuration from the environment', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      issuer: 'http://localhost:3000',
      mongodbUri: undefined,
      adminClientId: 'admin',
      maxAccessTokenTtl: -1,
      defaultSigningAlg: 'RS256',
      logLevel: 'info',
    });
  });

  it('derives ISSUER from PORT and trims a trailing slash', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://auth.example.com/', KEY_ENCRYPTION_SECRET: SECRET }).issuer)
      .toBe('https://auth.example.com');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['ISSUER', 'ftp://x'],
    ['ISSUER', 'https://x.example.com/?q=1'],
    ['MONGODB_URI', 'postgres://x'],
    ['MAX_ACCESS_TOKEN_TTL', '0'],
    ['MAX_ACCESS_TOKEN_TTL', '-5'],
    ['KEY_ENCRYPTION_SECRET', 'short'],
    ['ADMIN_CLIENT_SECRET', 'short'],
    ['DEFAULT_SIGNING_ALG', 'HS256'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it.each([
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"'],
    ['DEFAULT_SIGNING_ALG', 'HS256', 'DEFAULT_SIGNING_ALG must be one of "RS256", "ES256", "EdDSA"'],
    ['ADMIN_USERNAME', 'a*b', 'ADMIN_USERNAME must be 1 to 64 letters, digits, ., _, @ or -'],
    ['ISSUER', 'https://x.example.com/?q=1', 'ISSUER must be an http:// or https:// URL without query or fragment'],
    ['MAX_ACCESS_TOKEN_TTL', '0', 'MAX_ACCESS_TOKEN_TTL must be -1 (no cap) or a positive number of seconds'],
  ])('says what %s=%s should be: the allowed values, or in words', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`invalid configuration: ${message}`);
  });

  it('never shows a regular expression: every pattern has words', () => {
    expect(patternsWithoutWords(envSchema)).toEqual([]);
    expect(() => loadConfig({ MONGODB_DB: 'a b', ADMIN_CLIENT_ID: 'a b', MONGODB_URI: 'x' })).toThrow(/^[^^$\\]*$/);
  });

  it.each([
    [{ ISSUER: 'https://auth.example.com' }],
    [{ NODE_ENV: 'production' }],
    [{ NODE_ENV: 'production', ISSUER: 'http://keyforge.internal:3000' }],
    // The development value is published in the source: as good as none.
    [{ ISSUER: 'https://auth.example.com', KEY_ENCRYPTION_SECRET: DEV_KEY_ENCRYPTION_SECRET }],
  ])('refuses to run deployed (%o) on the development KEY_ENCRYPTION_SECRET', (env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/KEY_ENCRYPTION_SECRET is required/);
    expect(loadConfig({ ...env, KEY_ENCRYPTION_SECRET: SECRET }).keyEncryptionSecret).toBe(SECRET);
  });

  it('keeps the development default for a plain-http local run', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).keyEncryptionSecret).toBe(DEV_KEY_ENCRYPTION_SECRET);
  });

  it('reads TRUST_PROXY as a number of proxy hops; true and false still work', () => {
    expect(loadConfig({}).trustProxyHops).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxyHops).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxyHops).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '3' }).trustProxyHops).toBe(3);
  });

  it('reads HOST, METRICS_TOKEN and the limits of the endpoints that authenticate clients', () => {
    const c = loadConfig({
      HOST: '127.0.0.1',
      METRICS_TOKEN: 'a-metrics-token-0123456789',
      RATE_LIMIT_INTROSPECTION_PER_CLIENT: '7',
      RATE_LIMIT_REVOCATION_FEED_PER_ADDRESS: '0',
    });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      metricsToken: 'a-metrics-token-0123456789',
      rateLimitIntrospectionPerClient: 7,
      rateLimitRevocationFeedPerAddress: 0,
    });
    const defaults = loadConfig({});
    expect(defaults.host).toBeUndefined();
    expect(defaults.metricsToken).toBeUndefined();
    expect(defaults.rateLimitIntrospectionPerClient).toBeGreaterThanOrEqual(60000);
    expect(defaults.rateLimitRevocationPerClient).toBeGreaterThan(0);
    expect(defaults.rateLimitRevocationFeedPerClient).toBeGreaterThan(0);
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
  });

  it.each([
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '-1'],
    ['TRUST_PROXY', '10.0.0.0/8'],
    ['HOST', 'http://0.0.0.0'],
    ['HOST', 'a b'],
    ['METRICS_TOKEN', 'short'],
    ['RATE_LIMIT_INTROSPECTION_PER_CLIENT', '-1'],
    ['RATE_LIMIT_REVOCATION_PER_ADDRESS', 'many'],
    ['RATE_LIMIT_REVOCATION_FEED_PER_CLIENT', '1.5'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe.runIf(existsSync(MAIN))('the server process', () => {
  it('exits 2 naming KEY_ENCRYPTION_SECRET when ISSUER is https and it is unset', async () => {
    const run = spawnServer({ ISSUER: 'https://auth.example.com', KEY_ENCRYPTION_SECRET: '' }, 0);
    const code = await new Promise((r) => run.child.once('exit', r));
    expect(code).toBe(2);
    expect(run.log.join('')).toMatch(/KEY_ENCRYPTION_SECRET is required/);
  });
});
