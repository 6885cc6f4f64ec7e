import { HttpError, InvalidInput } from '../http/index.js';

/** Field name -> sentence shown next to that field; `_form` for what belongs to no field. */
export type FieldErrors = Record<string, string>;

export const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0;

/** A number of seconds typed into a form, or a sentence saying what is wrong with it. */
export function parseSeconds(text: string, field: string, errors: FieldErrors): number | undefined {
  const value = text.trim();
  if (!value) {
    errors[field] = 'Enter a validity period in seconds, e.g. 3600.';
    return undefined;
  }
  if (!/^-?\d{1,12}$/.test(value)) {
    errors[field] = 'Enter a whole number of seconds, e.g. 3600.';
    return undefined;
  }
  return Number(value);
}

/**
 * Runs a domain operation; a rejected input lands next to its field, another refusal the
 * person can act on (a conflict, a vanished record) at the top of the form. Anything else
 * is a real failure and propagates.
 */
export async function collectErrors<T>(errors: FieldErrors, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof InvalidInput) {
      errors[err.field] = err.reason;
      return undefined;
    }
    if (err instanceof HttpError && err.status < 500) {
      errors['_form'] = sentence(err.message);
      return undefined;
    }
    throw err;
  }
}

/** Messages written for the JSON API read as sentences on a page. */
export function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
