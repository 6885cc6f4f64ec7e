// Raw HTTP over node:http rather than fetch: fetch normalises paths (so broken
// percent-encoding and raw bytes would never reach the server), refuses duplicate headers of
// some kinds and adds its own. Keep-alive connections, bounded by the fuzzer's concurrency.

import { Agent, request, type IncomingHttpHeaders } from 'node:http';

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

const MAX_KEPT_BODY = 256 * 1024;

// Node refuses to send these; they are replaced rather than the request dropped.
const sendableHeaderValue = (v: string) => v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
const sendableHeaderName = (n: string) => (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n) ? n : 'x-fuzz');
const sendablePath = (p: string) => p.replace(/[^\x21-\xff]/gu, (c) => encodeLoosely(c));

export class HttpClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;

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
    return new Promise<Answer>((resolve, reject) => {
      const r = request({
        host: this.#host,
        port: this.#port,
        method: req.method,
        path: sendablePath(req.path),
        headers: raw,
        agent: this.#agent,
      });
      const timer = setTimeout(() => r.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      r.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      r.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_KEPT_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        res.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        res.once('end', () => {
          clearTimeout(timer);
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
