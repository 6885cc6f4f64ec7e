import type { JSONWebKeySet } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * The one place that touches oidc-provider's internals: request entities on `ctx.oidc`, the
 * prototypes and statics it lets us replace, events missing from its type map, and model
 * constructors whose typings lag behind. An upgrade that moves any of them is mended here
 * alone; the linter keeps every other file to oidc-provider's documented configuration.
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

/**
 * The client a /token request named, also when it failed to authenticate: the authenticated
 * client, else the `client_id` oidc-provider read from the form (client_secret_post, assertions).
 */
export function tokenRequestClientIdOf(ctx: unknown): string | undefined {
  const oidc = (ctx as Partial<KoaContextWithOIDC>).oidc;
  const known = (oidc?.client as WithMetadata | undefined)?.clientId ?? (oidc?.params as Record<string, unknown> | undefined)?.['client_id'];
  return typeof known === 'string' && known ? known : undefined;
}

/** The response body oidc-provider set for a registration request (the client's metadata). */
export function registrationBodyOf(ctx: unknown): Record<string, unknown> | undefined {
  const body = (ctx as { body?: unknown }).body;
  return body && typeof body === 'object' ? body as Record<string, unknown> : undefined;
}

/**
 * Hands oidc-provider a request body we already read: it takes a parsed body from
 * `ctx.request.body` (koa-bodyparser's convention) instead of reading the stream again.
 */
export function setParsedBody(ctx: unknown, body: unknown): void {
  (ctx as { request: { body: unknown } }).request.body = body;
}

/** The parts of an oidc-provider Client that our own endpoints read (see tokens/client-auth). */
export interface ProviderClient {
  clientId: string;
  clientSecret?: string;
  tokenEndpointAuthMethod?: string;
  tokenEndpointAuthSigningAlg?: string;
  jwks?: JSONWebKeySet;
  compareClientSecret(secret: string): boolean | Promise<boolean>;
  metadata(): Record<string, unknown>;
  [key: string]: unknown;
}

/** A client as oidc-provider loads it (through our adapter), or undefined. */
export async function findProviderClient(provider: Provider, id: string): Promise<ProviderClient | undefined> {
  return (await provider.Client.find(id)) as unknown as ProviderClient | undefined;
}

/** A client's secrets as oidc-provider's Client carries them (snake_case extra metadata included). */
export interface ClientSecrets {
  clientId?: string;
  clientSecret?: string;
  [metadata: string]: unknown;
}

/**
 * Client secrets are stored as keyed hashes (see store/oidc-adapter), with a previous one
 * during a rotation's grace period (see applications/secret-rotation), so oidc-provider's
 * comparison with the stored value is replaced by one against those hashes.
 */
export function compareSecretsAsHashes(
  provider: Provider,
  verify: (presented: string, client: ClientSecrets) => boolean | Promise<boolean>,
): void {
  (provider.Client.prototype as unknown as {
    compareClientSecret(this: ClientSecrets, actual: string): boolean | Promise<boolean>;
  }).compareClientSecret = function compareHashedSecret(actual) {
    return verify(actual, this);
  };
}

/**
 * Replaces oidc-provider's ReplayDetection.unique (DPoP proof and client assertion jtis at
 * /token), whose read-then-write lets two instances both accept the same jti.
 */
export function replaceReplayDetection(
  provider: Provider,
  unique: (iss: string, jti: string, exp: number) => Promise<boolean>,
): void {
  (provider as unknown as { ReplayDetection: { unique: typeof unique } }).ReplayDetection.unique = unique;
}

/**
 * oidc-provider rebuilds (and re-validates) a Client from its metadata whenever its own
 * 100-entry cache misses, which with more active clients than that is every request. Our
 * adapter hands back the same metadata object while its cache holds it, so the Client built
 * from that object is kept beside it and reused; a changed record is a new object, hence a
 * fresh Client.
 */
export function reuseBuiltClients(provider: Provider, findMetadata: (id: string) => Promise<unknown>): void {
  const Client = provider.Client as unknown as { find(id: string): Promise<unknown> };
  const original = Client.find.bind(Client);
  const built = new WeakMap<object, unknown>();
  Client.find = async (id: string) => {
    if (typeof id !== 'string' || !id) return undefined;
    const metadata = await findMetadata(id);
    if (!metadata || typeof metadata !== 'object') return original(id);
    let client = built.get(metadata);
    if (!client) {
      client = await original(id);
      if (client) built.set(metadata, client);
    }
    return client;
  };
}

/**
 * oidc-provider builds the URLs it hands out (discovery endpoints, registration_client_uri,
 * the audiences it accepts in client assertions) from the request's Host, X-Forwarded-Host
 * and protocol, so a forged header would be reflected into what clients trust and caches
 * keep. Every URL comes from ISSUER instead, as `provider.urlFor` already does.
 */
export function urlsFromIssuer(provider: Provider): void {
  provider.OIDCContext.prototype.urlFor = function urlForIssuer(name, options) {
    return provider.urlFor(name, options);
  };
}

/** Events that oidc-provider documents but leaves out of its type map (registration_*). */
export function onProviderEvent(
  provider: Provider,
  event: string,
  listener: (ctx: KoaContextWithOIDC, ...args: never[]) => void,
): void {
  (provider as unknown as NodeJS.EventEmitter).on(event, listener as (...args: unknown[]) => void);
}

/** Saves a new initial access token (RFC 7591 §3) under the given registration policy. */
export function saveInitialAccessToken(
  provider: Provider,
  o: { value?: string; expiresIn?: number; policy: string },
): Promise<string> {
  const { InitialAccessToken } = provider;
  return new InitialAccessToken({
    ...(o.value ? { jti: o.value } : {}),
    policies: [o.policy],
    ...(o.expiresIn ? { expiresIn: o.expiresIn } : {}),
  } as ConstructorParameters<typeof InitialAccessToken>[0]).save();
}

/** Saves a new registration access token (RFC 7592) for a client, under the given policy. */
export function saveRegistrationAccessToken(provider: Provider, clientId: string, policy: string): Promise<string> {
  const Rat = provider.RegistrationAccessToken as unknown as new (p: { clientId: string; policies: string[] }) => { save(): Promise<string> };
  return new Rat({ clientId, policies: [policy] }).save();
}
