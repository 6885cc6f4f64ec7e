/**
 * management-api: the JSON management API under /api (APIs and scopes, resource-server links,
 * initial access tokens, signing keys, applications, portal accounts), guarded by our own
 * admin-scoped access tokens or a person's session token (POST /api/sessions; developers reach
 * only their own applications), and described by /api/openapi.json.
 */
import Router from '@koa/router';

import { developerLimits } from '../accounts/api-access.js';
import { MANAGEMENT_API_PATH } from '../consts/index.js';
import type { Services } from '../services.js';
import { accountRoutes, sessionRoutes } from './accounts-routes.js';
import { requireAdmin } from './admin-auth.js';
import { apiRoutes } from './apis-routes.js';
import { applicationRoutes } from './applications-routes.js';
import { auditRoutes } from './audit-routes.js';
import { clientRoutes } from './clients-routes.js';
import { exportRoutes } from './export-routes.js';
import { keyRoutes } from './keys-routes.js';
import { openApiDocument } from './openapi.js';
import { initialAccessTokenRoutes } from './initial-access-token-routes.js';

export function managementRouter(s: Services): Router {
  const router = new Router({ prefix: MANAGEMENT_API_PATH });
  const doc = openApiDocument(s.config.issuer);
  router.get('/openapi.json', (ctx) => {
    ctx.body = doc;
  });
  sessionRoutes(router, s);
  router.use(requireAdmin(s, s.config.issuer + MANAGEMENT_API_PATH));
  router.use(developerLimits(s.applications));
  auditRoutes(router, s);
  accountRoutes(router, s);
  apiRoutes(router, s);
  initialAccessTokenRoutes(router, s);
  clientRoutes(router, s);
  keyRoutes(router, s);
  applicationRoutes(router, s);
  exportRoutes(router, s);
  return router;
}
