import type Router from '@koa/router';

import type { Services } from '../services.js';

/** Applications and their production/sandbox key sets (issue 3). */
export function applicationRoutes(_router: Router, _s: Services): void {
  // Filled in by the applications work.
}

export const applicationsOpenApi = { paths: {}, schemas: {} };
