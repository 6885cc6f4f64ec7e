import { invalidRequest, noCredentials } from './errors.js';

// RFC 6750 §2.1: b64token after "Bearer" and one or more spaces.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_TOKEN_LENGTH = 16_384;

/**
 * The token from an `Authorization` header. Another scheme (Basic) counts as no bearer
 * credentials; a Bearer header that is not a single b64token is a malformed request.
 */
export function bearerTokenOf(header: string | undefined): string {
  if (!header || !/^Bearer(\s|$)/i.test(header)) throw noCredentials();
  const match = BEARER.exec(header);
  if (!match) throw invalidRequest('malformed Authorization header: expected "Bearer <token>"');
  const token = match[1]!;
  if (token.length > MAX_TOKEN_LENGTH) throw invalidRequest('the bearer token is too long');
  return token;
}

// RFC 9449 §7.1: the DPoP scheme carries the token the same way.
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token and its scheme: Bearer (RFC 6750) or DPoP (RFC 9449). */
export function credentialsOf(header: string | undefined): { scheme: 'Bearer' | 'DPoP'; token: string } {
  if (header && /^DPoP(\s|$)/i.test(header)) {
    const match = DPOP.exec(header);
    if (!match) throw invalidRequest('malformed Authorization header: expected "DPoP <token>"').asDpop();
    const token = match[1]!;
    if (token.length > MAX_TOKEN_LENGTH) throw invalidRequest('the access token is too long').asDpop();
    return { scheme: 'DPoP', token };
  }
  return { scheme: 'Bearer', token: bearerTokenOf(header) };
}
