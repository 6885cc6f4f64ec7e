// Request bodies: a valid template, then (usually) broken in one of the ways clients and
// attackers break them. JSON is written as text by hand so that it can carry what
// JSON.stringify cannot: duplicate keys, "__proto__" as an own key, truncation, deep nesting.

import { encodeLoosely, hostileString, type Rng } from './random.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys that reach Object.prototype when a server merges input naively. */
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', '$where', '$set', 'toString', 'hasOwnProperty'];

function jsonString(s: string): string {
  return JSON.stringify(s);
}

/** Serialises with optional duplicate keys; `__proto__` in `extra` becomes a real own key. */
function writeJson(value: Json, extra: [string, string][] = []): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => writeJson(v)).join(',')}]`;
  const parts = Object.entries(value).map(([k, v]) => `${jsonString(k)}:${writeJson(v)}`);
  for (const [k, raw] of extra) parts.push(`${jsonString(k)}:${raw}`);
  return `{${parts.join(',')}}`;
}

export function randomJson(rng: Rng, depth = 3): Json {
  return rng.weighted<Json>([
    [2, () => hostileString(rng).slice(0, 500)],
    [1, () => rng.pick([0, -1, 1, 1.5, -0, 1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 63)])],
    [1, () => rng.chance(0.5)],
    [1, () => null],
    [depth > 0 ? 1 : 0, () => Array.from({ length: rng.int(4) }, () => randomJson(rng, depth - 1))],
    [depth > 0 ? 1 : 0, () => Object.fromEntries(Array.from({ length: rng.int(4) }, () => [hostileString(rng).slice(0, 40), randomJson(rng, depth - 1)]))],
  ]);
}

/** A value of the wrong kind for whatever `v` is. */
function wrongType(rng: Rng, v: Json | undefined): Json {
  const options: Json[] = [null, 0, -1, 1e21, true, '', 'x', [], {}, [v ?? null], { $ne: null }, String(v)];
  return rng.pick(options);
}

function mutateObject(rng: Rng, obj: { [key: string]: Json }): { value: { [key: string]: Json }; extra: [string, string][] } {
  const value: { [key: string]: Json } = { ...obj };
  const extra: [string, string][] = [];
  const keys = Object.keys(value);
  const rounds = 1 + rng.int(3);
  for (let i = 0; i < rounds; i++) {
    const key = keys.length ? rng.pick(keys) : 'x';
    rng.weighted<void>([
      [3, () => { value[key] = wrongType(rng, value[key]); }],
      [2, () => { delete value[key]; }],
      [2, () => { value[key] = hostileString(rng); }],
      [1, () => { value[key] = randomJson(rng); }],
      [1, () => { extra.push([rng.pick(POLLUTION_KEYS), writeJson({ admin: true, isAdmin: true, scope: 'admin', polluted: 1 })]); }],
      [1, () => { extra.push([key, writeJson(randomJson(rng, 1))]); }], // duplicate key
      [1, () => { value[hostileString(rng).slice(0, 100)] = randomJson(rng, 1); }],
      [0.5, () => { const v = value[key]; if (Array.isArray(v)) value[key] = Array.from({ length: rng.pick([100, 1000, 20_000]) }, () => v[0] ?? 'x'); }],
    ]);
  }
  return { value, extra };
}

/** A JSON body: the template as is, mutated, or not JSON at all. */
export function jsonBody(rng: Rng, template: { [key: string]: Json } | undefined, hostility: number): string {
  const base = template ?? (randomJson(rng) as { [key: string]: Json });
  if (!rng.chance(hostility)) return writeJson(base);
  return rng.weighted<string>([
    [6, () => {
      if (base === null || typeof base !== 'object' || Array.isArray(base)) return writeJson(randomJson(rng));
      const { value, extra } = mutateObject(rng, base);
      return writeJson(value, extra);
    }],
    [1, () => writeJson(base).slice(0, Math.max(0, rng.int(writeJson(base).length)))], // truncated
    [1, () => writeJson(randomJson(rng))],
    [1, () => rng.pick(['', 'null', '[]', '0', '"x"', 'true', '{', '}', '{"a":}', "{'a':1}", '{"a":1,}', 'NaN', '\ufeff{}', '{"a":"\\ud800"}', '{"a":"\\u0000"}'])],
    [0.5, () => { const n = rng.pick([1000, 100_000]); return '['.repeat(n) + ']'.repeat(n); }],
    [0.5, () => { const n = rng.pick([1000, 50_000]); return '{"a":'.repeat(n) + '1' + '}'.repeat(n); }],
    [0.3, () => writeJson({ ...base, pad: 'x'.repeat(rng.pick([70_000, 1_100_000])) })],
  ]);
}

export type FormPairs = [string, string][];

/** An application/x-www-form-urlencoded body from pairs, usually broken in some way. */
export function formBody(rng: Rng, pairs: FormPairs, hostility: number): string {
  const encode = (p: FormPairs) => p.map(([k, v]) => `${encodeLoosely(k)}=${encodeLoosely(v)}`).join('&');
  if (!rng.chance(hostility)) return encode(pairs);
  const out: FormPairs = pairs.map(([k, v]) => [k, v]);
  const rounds = 1 + rng.int(3);
  let raw: string | undefined;
  for (let i = 0; i < rounds; i++) {
    const idx = out.length ? rng.int(out.length) : 0;
    rng.weighted<void>([
      [3, () => { if (out[idx]) out[idx]![1] = hostileString(rng); }],
      [2, () => { if (out[idx]) out.push([out[idx]![0], rng.chance(0.5) ? out[idx]![1] : hostileString(rng)]); }], // duplicated
      [2, () => { out.splice(idx, 1); }],
      [1, () => { out.push([rng.pick(POLLUTION_KEYS), hostileString(rng)]); }],
      [1, () => { out.push([`${rng.pick(['__proto__', 'constructor', 'scope'])}[${rng.pick(['admin', 'prototype', '0', ''])}]`, 'admin']); }],
      [1, () => { out.push([hostileString(rng).slice(0, 50), hostileString(rng)]); }],
      [1, () => { raw = `${encode(out)}&${rng.pick(['%E0%A4%A', '%', 'a=%ZZ', '=&=&', '&&&', 'a', '%FF=%FE', 'scope=%C0%AF', 'a=b=c', ';x=y'])}`; }],
    ]);
  }
  return raw ?? encode(out);
}
