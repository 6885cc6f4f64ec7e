/** http: small Koa helpers shared by our own routes: JSON errors and bounded body readers. */
export {
  HttpError, InvalidInput, badRequest, notFound, conflict, jsonErrors, type FieldProblem,
} from './errors.js';
export { readJson, readForm } from './body.js';
export {
  compile, assertValid, describeErrors, patternsWithoutWords,
} from './schema.js';
