import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../src/config/index.js';
import { envSchema } from '../src/config/schema.js';
import { patternsWithoutWords } from '../src/http/index.js';

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
    expect(loadConfig({ ISSUER: 'https://auth.example.com/' }).issuer).toBe('https://auth.example.com');
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
});
