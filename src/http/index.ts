/** http: small Koa helpers shared by our own routes: JSON errors and bounded body readers. */
export {
  HttpError, InvalidInput, badRequest, notFound, conflict, jsonErrors, type FieldProblem,
} from './errors.js';
export { readJson, readForm } from './body.js';
export {
  ajv, compile, assertValid, describeError, describeErrors, patternsWithoutWords, withExpects,
} from './schema.js';
