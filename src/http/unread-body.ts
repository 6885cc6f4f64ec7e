import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Context } from 'koa';

import { HttpError } from './errors.js';

// HTTP/1.1 keeps a connection for the next request only once this one's body has been read
// to its end. A reader that stops part-way (a size limit) leaves the rest on the connection:
// Node no longer reads it, so the next request sent there waits behind it and is never
// answered (found by `npm run fuzz`; a pooling proxy would send other people's requests
// there). Such a connection is closed after its answer instead.

/** A 413 for a body too large to read; the connection closes after the answer. */
export function bodyTooLarge(ctx: Context, message: string): HttpError {
  ctx.res.shouldKeepAlive = false;
  return new HttpError(413, 'invalid_request', message);
}

/**
 * For every request: once the answer is sent, a body that a handler began to read and then
 * abandoned (oidc-provider's reader stops at its own limit without draining; a broken-off
 * `for await` destroys the stream) closes the connection. A safety net under bodyTooLarge;
 * a body nobody began to read Node drains by itself, and the connection stays.
 */
export function closeIfBodyAbandoned(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  res.once('finish', () => {
    if (!req.complete && (req.destroyed || req.readableDidRead) && !socket.destroyed) socket.destroySoon();
  });
}
