// A seeded generator, so that FUZZ_SEED replays the same sequence of choices (the server's
// answers, and so what the fuzzer learns from them, can still differ between runs).

export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  /** mulberry32: small, fast, and good enough to spread choices evenly. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (!items.length) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** One of several producers, by weight. */
  weighted<T>(options: readonly (readonly [number, () => T])[]): T {
    const total = options.reduce((sum, [w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [w, make] of options) {
      r -= w;
      if (r < 0) return make();
    }
    return options[options.length - 1]![1]();
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  ascii(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + this.int(95));
    return s;
  }
}

/** Values chosen because parsers, validators and databases trip over them. */
const HOSTILE_CONSTANTS = [
  '', ' ', '\t', '0', '-1', '1e309', 'NaN', 'Infinity', '0x10', '9007199254740993', 'true', 'null', 'undefined',
  '%', '%%', '%E0%A4%A', '%FF', '%C0%AF', '%00', '%u0041', '%2e%2e%2f', '+', '&', '=', ';', '#', '?',
  '../../../../etc/passwd', '..\\..\\windows\\win.ini', '/portal/../api/apis', '//evil.example/',
  '__proto__', 'constructor', 'prototype', '__proto__[admin]', 'constructor[prototype][admin]',
  '{"$ne":null}', '{"$gt":""}', '$where', '$regex', 'a.b', '$', "' OR '1'='1", '<script>alert(1)</script>',
  '${7*7}', '{{7*7}}', '<%= 7*7 %>', 'javascript:alert(1)', 'file:///etc/passwd', 'http://127.0.0.1:1/',
  '\u0000', 'a\u0000b', '\u202e', '\ufeff', '\uffff', '\ud800', '\udc00x', 'e\u0301', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '🔑🔥',
  'ǅ', 'İ', 'ß', 'Ⅻ', '\r\n', 'a\r\nX-Injected: 1',
  'eyJhbGciOiJub25lIn0.e30.', 'eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzY29wZSI6ImFkbWluIn0.', 'a.b.c', '...',
  'client_credentials', 'authorization_code', 'password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'admin', 'openid', 'offline_access', 'access_token', 'refresh_token', 'JWT', 'OAuth', 'jwt', 'opaque',
  'production', 'sandbox', 'PRODUCTION', 'RS256', 'none', 'HS256',
];

export function hostileString(rng: Rng): string {
  return rng.weighted<string>([
    [6, () => rng.pick(HOSTILE_CONSTANTS)],
    [2, () => rng.ascii(rng.int(40))],
    [1, () => rng.bytes(rng.int(40)).toString('latin1')],
    [1, () => rng.bytes(rng.int(40)).toString('utf8')],
    [1, () => rng.pick(HOSTILE_CONSTANTS).repeat(1 + rng.int(2000))],
    [0.3, () => 'A'.repeat(rng.pick([1024, 8193, 65_537, 200_000]))],
  ]);
}

/** Percent-encodes like encodeURIComponent but never throws on lone surrogates. */
export function encodeLoosely(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return escape(value);
  }
}

/**
 * A path segment that is sometimes well-formed, sometimes broken percent-encoding, raw
 * non-ASCII bytes (sent as they are), traversal or plain junk.
 */
export function hostileSegment(rng: Rng): string {
  return rng.weighted<string>([
    [3, () => encodeLoosely(hostileString(rng).slice(0, 300))],
    [2, () => rng.pick(['%E0%A4%A', '%', '%G1', '%ff%fe', '%C0%AE%C0%AE', '..%2F..%2F', '..', '.', '%2e%2e', '%00', '%0d%0a', ';x=1', '%252F'])],
    [1, () => Buffer.from(rng.pick(['é', '𝔘', '\u202e', 'ü/x'])).toString('latin1')],
    [1, () => rng.ascii(rng.int(20)).replace(/[^\x21-\x7e]/g, '').replace(/[?#]/g, '')],
    [0.3, () => 'x'.repeat(rng.pick([300, 5000, 20_000]))],
  ]);
}
