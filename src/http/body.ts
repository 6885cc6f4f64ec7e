import type { Context } from 'koa';

import { badRequest, HttpError } from './errors.js';
import { bodyTooLarge } from './unread-body.js';

const DEFAULT_LIMIT = 64 * 1024;

/**
 * The raw body, refused with 413 (and the connection closed) once it is, or says it will be,
 * larger than `limit`: the one bounded reader behind every body we parse.
 */
export async function readBodyBytes(ctx: Context, limit: number, tooLarge: string): Promise<Buffer> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limit) throw bodyTooLarge(ctx, tooLarge);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw bodyTooLarge(ctx, tooLarge);
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

async function readRaw(ctx: Context, limit: number): Promise<string> {
  const bytes = await readBodyBytes(ctx, limit, `request body exceeds ${limit} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('request body is not valid UTF-8');
  }
}

/** JSON object body, size-capped; anything else is a 400 or 415 with a reason. */
export async function readJson(ctx: Context, limit = DEFAULT_LIMIT): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw new HttpError(415, 'invalid_request', 'content type must be application/json');
  }
  const text = await readRaw(ctx, limit);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}

/**
 * application/x-www-form-urlencoded body as RFC 6749 §3.2 and RFC 7662 §2.1 require:
 * a parameter sent twice is an error, not a silent pick.
 */
export async function readForm(ctx: Context, limit = DEFAULT_LIMIT): Promise<Map<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw badRequest('content type must be application/x-www-form-urlencoded');
  }
  const text = await readRaw(ctx, limit);
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(text)) {
    if (params.has(key)) throw badRequest(`parameter ${key} must not be sent more than once`);
    params.set(key, value);
  }
  return params;
}
