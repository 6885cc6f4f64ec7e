import type Router from '@koa/router';

import type { Services } from '../services.js';

/** Export and import of the whole configuration (issue 4). */
export function exportRoutes(_router: Router, _s: Services): void {
  // Filled in by the CLI work.
}

export const exportOpenApi = { paths: {}, schemas: {} };
