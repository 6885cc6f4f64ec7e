import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * The one place that reads oidc-provider's request internals (`ctx.oidc` entities), so that an
 * upgrade that moves them is mended here alone.
 */

interface WithJti { jti?: string }
interface WithMetadata { clientId?: string; metadata(): Record<string, unknown> }

/** The initial access token value of an RFC 7591 registration, once oidc-provider found it. */
export function initialAccessTokenOf(ctx: unknown): string | undefined {
  const entities = (ctx as Partial<KoaContextWithOIDC>).oidc?.entities as { InitialAccessToken?: WithJti } | undefined;
  return entities?.InitialAccessToken?.jti;
}

/** The client an RFC 7592 request manages, as stored before this request changes it. */
export function managedClientMetadataOf(ctx: unknown): Record<string, unknown> | undefined {
  const client = (ctx as Partial<KoaContextWithOIDC>).oidc?.client as WithMetadata | undefined;
  return client?.metadata();
}

/** The client that authenticated at an oidc-provider endpoint (/token), if any. */
export function authenticatedClientIdOf(ctx: unknown): string | undefined {
  const client = (ctx as Partial<KoaContextWithOIDC>).oidc?.client as WithMetadata | undefined;
  return client?.clientId;
}

/** The response body oidc-provider set for a registration request (the client's metadata). */
export function registrationBodyOf(ctx: unknown): Record<string, unknown> | undefined {
  const body = (ctx as { body?: unknown }).body;
  return body && typeof body === 'object' ? body as Record<string, unknown> : undefined;
}
