import { createHash, timingSafeEqual } from 'node:crypto';

import type { Context } from 'koa';

import { readBodyBytes } from '../http/index.js';

const LIMIT = 64 * 1024;

/**
 * A submitted HTML form. Unlike the OAuth endpoints' reader, a name may repeat: that is how
 * checkboxes (scopes, subscriptions) arrive.
 */
export class FormFields {
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  /** The first value, or '' when absent. */
  text(name: string): string {
    return this.#params.get(name) ?? '';
  }

  all(name: string): string[] {
    return this.#params.getAll(name);
  }

  has(name: string): boolean {
    return this.#params.has(name);
  }
}

/** urlencoded bodies only; anything else reads as an empty form (and so fails the CSRF check). */
export async function readFormFields(ctx: Context): Promise<FormFields> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new FormFields(new URLSearchParams());
  const bytes = await readBodyBytes(ctx, LIMIT, 'the form is too large');
  return new FormFields(new URLSearchParams(bytes.toString('utf8')));
}

/** Hashing first makes the comparison constant-time whatever the lengths. */
export function sameToken(presented: string, expected: string): boolean {
  if (!presented || !expected) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
