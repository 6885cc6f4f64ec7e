/** http: small Koa helpers shared by our own routes: JSON errors, bounded body readers, and closing connections whose body was left unread. */
export {
  HttpError, InvalidInput, badRequest, notFound, conflict, jsonErrors, type FieldProblem,
} from './errors.js';
export { readBodyBytes, readJson, readForm } from './body.js';
export { closeIfBodyAbandoned } from './unread-body.js';
export {
  compile, assertValid, describeErrors, patternsWithoutWords,
} from './schema.js';
