// Raw HTTP over node:http rather than fetch: fetch normalises paths (so broken
// percent-encoding and raw bytes would never reach the server), refuses duplicate headers of
// some kinds and adds its own. Keep-alive connections, bounded by the fuzzer's concurrency.

import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

import { encodeLoosely } from './random.js';

export interface FuzzRequest {
  /** Endpoint group, for the counts. */
  group: string;
  method: string;
  /** Exactly as sent: may contain broken escapes and raw bytes (latin1). */
  path: string;
  /** Pairs, so a header may repeat. */
  headers: [string, string][];
  body?: Buffer | string;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
  /** What the fuzzer learns from the answer (tokens, new clients). */
  onAnswer?: (answer: Answer) => void;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the client saw of a request that got no complete answer: enough to tell whose fault it was. */
export interface SocketView {
  /** Milliseconds from sending to giving up. */
  ms: number;
  /** The request went out on a kept-alive socket that an earlier request used. */
  reusedSocket: boolean;
  /** The whole request (headers and body) was handed to the socket. */
  requestWritten: boolean;
  bytesWritten: number;
  bytesRead: number;
  /** A 1xx (e.g. 100 Continue) arrived. */
  informational: number[];
  /** Status of the final answer, if its head arrived. */
  status?: number;
  bodyBytes: number;
  /** The server ended or closed the connection. */
  peerEnded: boolean;
  error: string;
  code?: string;
  /** The request this socket carried before, and how it ended: a connection left in a bad state shows here. */
  previousOnSocket?: string;
}

export class NoAnswerError extends Error {
  readonly code: string | undefined;

  constructor(readonly view: SocketView) {
    super(view.error);
    this.code = view.code;
  }
}

const MAX_KEPT_BODY = 256 * 1024;

// Node refuses to send these; they are replaced rather than the request dropped.
const sendableHeaderValue = (v: string) => v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
const sendableHeaderName = (n: string) => (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n) ? n : 'x-fuzz');
const sendablePath = (p: string) => p.replace(/[^\x21-\xff]/gu, (c) => encodeLoosely(c));

export class HttpClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;
  readonly #history = new WeakMap<Socket, string>();

  constructor(baseUrl: string, maxSockets: number) {
    const url = new URL(baseUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(req: FuzzRequest, timeoutMs: number): Promise<Answer> {
    // With headers as an array Node adds no Host of its own: without one HTTP/1.1 is a 400.
    const raw: string[] = req.headers.some(([n]) => n.toLowerCase() === 'host') ? [] : ['host', `${this.#host}:${this.#port}`];
    for (const [name, value] of req.headers) raw.push(sendableHeaderName(name), sendableHeaderValue(value));
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
    if (body && !req.chunked && !req.headers.some(([n]) => n.toLowerCase() === 'content-length')) {
      raw.push('content-length', String(body.length));
    }
    const started = Date.now();
    return new Promise<Answer>((resolve, reject) => {
      const r = request({
        host: this.#host,
        port: this.#port,
        method: req.method,
        path: sendablePath(req.path),
        headers: raw,
        agent: this.#agent,
      });
      const view: SocketView = {
        ms: 0, reusedSocket: false, requestWritten: false, bytesWritten: 0, bytesRead: 0, informational: [], bodyBytes: 0, peerEnded: false, error: '',
      };
      let written0 = 0;
      let read0 = 0;
      const summary = `${req.method} ${req.path.slice(0, 120)} [${req.headers.map(([n, v]) => `${n}: ${v.slice(0, 40)}`).join('; ')}] body ${body?.length ?? 'none'}`;
      const peerEnded = () => { view.peerEnded = true; };
      r.once('socket', (socket) => {
        view.reusedSocket = r.reusedSocket;
        view.previousOnSocket = this.#history.get(socket);
        written0 = socket.bytesWritten;
        read0 = socket.bytesRead;
        socket.once('end', peerEnded);
        r.once('close', () => socket.off('end', peerEnded));
      });
      r.once('finish', () => { view.requestWritten = true; });
      r.on('information', (info) => { view.informational.push(info.statusCode); });
      const fail = (err: Error) => {
        clearTimeout(timer);
        view.ms = Date.now() - started;
        view.error = err.message;
        view.code = (err as NodeJS.ErrnoException).code;
        if (r.socket) {
          view.bytesWritten = r.socket.bytesWritten - written0;
          view.bytesRead = r.socket.bytesRead - read0;
        }
        reject(new NoAnswerError(view));
      };
      const timer = setTimeout(() => r.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      r.once('error', fail);
      r.once('response', (res) => {
        view.status = res.statusCode;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_KEPT_BODY) chunks.push(chunk);
          size += chunk.length;
          view.bodyBytes = size;
        });
        res.once('error', fail);
        res.once('end', () => {
          clearTimeout(timer);
          if (r.socket) this.#history.set(r.socket, `${summary} -> ${res.statusCode} ${res.headers['content-length'] ?? '?'}/${size} bytes, ${res.headers['connection'] ?? ''}`);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      if (body && req.chunked) {
        const half = Math.floor(body.length / 2);
        r.write(body.subarray(0, half));
        r.end(body.subarray(half));
      } else {
        r.end(body);
      }
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
