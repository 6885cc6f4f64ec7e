import type { Api, ApiRegistry } from '../apis/index.js';
import { InvalidInput } from '../http/index.js';
import { NEVER_EXPIRING_TTL } from '../consts/index.js';
import { DESCRIPTION_MAX, NAME_MAX, TOKEN_TYPES, type TokenType } from './model.js';

export function checkName(value: string): string {
  const name = value.trim();
  if (!name) throw new InvalidInput('name', 'Enter a name.');
  if (name.length > NAME_MAX) throw new InvalidInput('name', `Use at most ${NAME_MAX} characters.`);
  return name;
}

export function checkDescription(value: string | undefined): string {
  const description = (value ?? '').trim();
  if (description.length > DESCRIPTION_MAX) {
    throw new InvalidInput('description', `Use at most ${DESCRIPTION_MAX} characters.`);
  }
  return description;
}

export function checkTokenType(value: string): TokenType {
  if (!(TOKEN_TYPES as readonly string[]).includes(value)) {
    throw new InvalidInput('token_type', 'Choose JWT or OAuth.');
  }
  return value as TokenType;
}

/** "3600 seconds (1 hour)": how the portal and error messages speak of a validity period. */
export function describeSeconds(seconds: number): string {
  if (seconds < 0) return 'never expires';
  const units: [number, string][] = [[86_400, 'day'], [3600, 'hour'], [60, 'minute']];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${seconds} seconds (${n} ${unit}${n === 1 ? '' : 's'})`;
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** Negative means "never expires" and is stored as -1; the operator's cap applies. */
export function checkTtl(value: number, maxAccessTokenTtl: number, field = 'access_token_ttl'): number {
  if (!Number.isSafeInteger(value)) throw new InvalidInput(field, 'Enter a whole number of seconds, e.g. 3600.');
  if (value === 0) throw new InvalidInput(field, 'Enter a number of seconds other than 0.');
  if (value < 0) {
    if (maxAccessTokenTtl > 0) {
      throw new InvalidInput(field, `This server does not allow tokens that never expire; use at most ${describeSeconds(maxAccessTokenTtl)}.`);
    }
    return -1;
  }
  if (maxAccessTokenTtl > 0 && value > maxAccessTokenTtl) {
    throw new InvalidInput(field, `Use at most ${describeSeconds(maxAccessTokenTtl)}.`);
  }
  if (value >= NEVER_EXPIRING_TTL) {
    throw new InvalidInput(field, 'That is longer than a century; use -1 for tokens that never expire.');
  }
  return value;
}

/** System APIs (the management API and its `admin` scope) are never offered to applications. */
export function checkSubscriptions(value: string[], registry: ApiRegistry): string[] {
  const unique = [...new Set(value)];
  for (const id of unique) {
    const api = registry.get(id);
    if (!api) throw new InvalidInput('subscriptions', `There is no API ${id}.`);
    if (api.system) throw new InvalidInput('subscriptions', `${api.name} cannot be subscribed to by an application.`);
  }
  return unique;
}

/** Scopes an application may give its key sets: those of its subscribed APIs that still exist. */
export function subscribedScopes(subscriptions: string[], registry: ApiRegistry): Map<string, Api> {
  const scopes = new Map<string, Api>();
  for (const id of subscriptions) {
    const api = registry.get(id);
    if (!api || api.system) continue;
    for (const s of api.scopes) scopes.set(s.name, api);
  }
  return scopes;
}

export function checkScopes(value: string[], allowed: Map<string, Api>): string[] {
  const unique = [...new Set(value)];
  if (!unique.length) throw new InvalidInput('scopes', 'Choose at least one scope.');
  for (const scope of unique) {
    if (!allowed.has(scope)) {
      throw new InvalidInput('scopes', `${scope} is not a scope of an API this application subscribes to.`);
    }
  }
  return unique;
}
