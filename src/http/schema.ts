import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

import { badRequest } from './errors.js';

/**
 * Annotation keyword: what a value must be, in words, for error messages. Every `pattern`
 * needs one (compile() refuses a schema without), so no error shows a raw regular expression:
 * `{ type: 'string', pattern: '^[a-z]+$', expects: 'lower-case letters' }` fails as
 * `name must be lower-case letters`.
 */
export const EXPECTS = 'expects';

/** Adds the `expects` keyword; errors then need `verbose: true` to carry it. */
export function withExpects(instance: Ajv): Ajv {
  instance.addKeyword({ keyword: EXPECTS, schemaType: 'string' });
  return instance;
}

/** One ajv instance for every request schema: compiled once, strict about unknown keywords. */
export const ajv = withExpects(new Ajv({ allErrors: false, strict: true, useDefaults: false, verbose: true }));
addFormats.default(ajv);

const quoted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

/** One error as a sentence that names the field, e.g. `access_token_ttl must be integer`. */
export function describeError(e: ErrorObject): string {
  const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (e.keyword === 'additionalProperties') {
    const extra = String(e.params['additionalProperty']);
    return `${path ? `${path}.` : ''}${extra} is not a recognised property`;
  }
  if (e.keyword === 'required') {
    return `${path ? `${path}.` : ''}${String(e.params['missingProperty'])} is required`;
  }
  if (e.keyword === 'enum') return `${path || 'value'} must be one of ${quoted(e.params['allowedValues'] as unknown[])}`;
  if (e.keyword === 'const') return `${path || 'value'} must be ${quoted([e.params['allowedValue']])}`;
  const expects: unknown = (e.parentSchema as Record<string, unknown> | undefined)?.[EXPECTS];
  if (typeof expects === 'string') return `${path || 'value'} must be ${expects}`;
  // Without `expects` (a schema compiled elsewhere), still never print the expression itself.
  if (e.keyword === 'pattern') return `${path || 'value'} is not in the expected format`;
  return `${path || 'body'} ${e.message ?? 'is invalid'}`;
}

/** The first error, described; requests stop at the first (allErrors: false). */
export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  return e ? describeError(e) : 'invalid value';
}

/** Paths of `pattern`s in `schema` that lack `expects`. */
export function patternsWithoutWords(schema: unknown, at = '#'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const own = typeof node['pattern'] === 'string' && typeof node[EXPECTS] !== 'string' ? [at] : [];
  return [...own, ...Object.entries(node).flatMap(([k, v]) => patternsWithoutWords(v, `${at}/${k}`))];
}

export function compile<T>(schema: JSONSchemaType<T> | object): ValidateFunction<T> {
  const missing = patternsWithoutWords(schema);
  if (missing.length) throw new Error(`schema patterns need \`${EXPECTS}\` (words for error messages): ${missing.join(', ')}`);
  return ajv.compile<T>(schema as JSONSchemaType<T>);
}

/** Checks `value` or throws a 400 with `code` and a description that names the field. */
export function assertValid<T>(
  validate: ValidateFunction<T>,
  value: unknown,
  code = 'invalid_request',
): asserts value is T {
  if (!validate(value)) throw badRequest(describeErrors(validate.errors), code);
}
