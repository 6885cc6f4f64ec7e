import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

import { HttpError } from './errors.js';

/** One ajv instance for every request schema: compiled once, strict about unknown keywords. */
export const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: false });
addFormats.default(ajv);

/** A message that names the offending field, e.g. `access_token_ttl must be integer`. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'invalid value';
  const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (e.keyword === 'additionalProperties') {
    const extra = String(e.params['additionalProperty']);
    return `${path ? `${path}.` : ''}${extra} is not a recognised property`;
  }
  if (e.keyword === 'required') {
    return `${path ? `${path}.` : ''}${String(e.params['missingProperty'])} is required`;
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ');
    return `${path || 'value'} must be one of ${allowed}`;
  }
  return `${path || 'body'} ${e.message ?? 'is invalid'}`;
}

export function compile<T>(schema: JSONSchemaType<T> | object): ValidateFunction<T> {
  return ajv.compile<T>(schema as JSONSchemaType<T>);
}

/** Checks `value` or throws a 400 with `code` and a description that names the field. */
export function assertValid<T>(
  validate: ValidateFunction<T>,
  value: unknown,
  code = 'invalid_request',
): asserts value is T {
  if (!validate(value)) throw new HttpError(400, code, describeErrors(validate.errors));
}
