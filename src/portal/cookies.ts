import type { Context } from 'koa';

export interface CookieOptions {
  maxAgeSeconds?: number;
  secure: boolean;
}

export const COOKIE_PATH = '/portal';

export function readCookie(ctx: Context, name: string): string | undefined {
  const header = ctx.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * Written by hand rather than through ctx.cookies: behind a TLS-terminating proxy the request
 * may look like http while the issuer (what the browser sees) is https, and Secure must follow
 * the issuer. Values are base64url, so they need no quoting.
 */
export function setCookie(ctx: Context, name: string, value: string, o: CookieOptions): void {
  const parts = [`${name}=${value}`, `Path=${COOKIE_PATH}`, 'HttpOnly', 'SameSite=Lax'];
  if (o.maxAgeSeconds !== undefined) parts.push(`Max-Age=${o.maxAgeSeconds}`);
  if (o.secure) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
}

export function clearCookie(ctx: Context, name: string, secure: boolean): void {
  setCookie(ctx, name, '', { maxAgeSeconds: 0, secure });
}
