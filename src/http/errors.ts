import type { Context, Next } from 'koa';

/** A failure the caller can act on; rendered as `{ error, error_description }` JSON. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, description: string, headers: Record<string, string> = {}) {
    super(description);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** A problem with one input field: `field` names it, `message` says what is wrong. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * A value a person typed that we cannot accept. `field` is the JSON/form field name and
 * `reason` a sentence for that person; the API shows `description` (by default
 * `field: reason`), the portal puts the reason next to the field.
 */
export class InvalidInput extends HttpError {
  override name = 'InvalidInput';
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string, status = 400, description = `${field}: ${reason}`) {
    super(status, status === 409 ? 'conflict' : 'invalid_request', description);
    this.field = field;
    this.reason = reason;
  }
}

export const badRequest = (description: string, code = 'invalid_request') =>
  new HttpError(400, code, description);
export const notFound = (description: string) => new HttpError(404, 'not_found', description);
export const conflict = (description: string) => new HttpError(409, 'conflict', description);

/** Koa's own errors (body parsing, ctx.throw) carry `status` and `expose`. */
interface KoaLikeError {
  status?: number;
  expose?: boolean;
  message?: string;
}

/**
 * JSON errors for our own routes (management API, introspection, revocation). Unknown
 * failures become a 500 with no detail; the detail goes to the log.
 */
export function jsonErrors(
  log: (err: unknown, ctx: Context) => void,
  /** Turns known infrastructure failures (database away) into their proper answer. */
  translate: (err: unknown) => HttpError | undefined = () => undefined,
) {
  return async function renderJsonErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (caught) {
      const err = translate(caught) ?? caught;
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { error: err.code, error_description: err.message };
        return;
      }
      const e = err as KoaLikeError;
      if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
        ctx.status = e.status;
        ctx.body = {
          error: 'invalid_request',
          error_description: e.expose && e.message ? e.message : 'the request could not be processed',
        };
        return;
      }
      log(err, ctx);
      ctx.status = 500;
      ctx.body = { error: 'server_error', error_description: 'an unexpected error occurred' };
    }
  };
}
