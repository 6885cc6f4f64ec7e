import type { Context } from 'koa';

import type { ApplicationListQuery, Applications, ApplicationSummary } from '../applications/index.js';
import { assertValid, compile } from '../http/index.js';
import { nextCursorSchema, numericQuery, pageQueryParameters, pageQueryProperties, setNextLink } from '../http/paging.js';

const searchProperty = {
  search: { type: 'string', minLength: 1, maxLength: 100, description: 'Only applications whose name starts with this (any case)' },
} as const;

const validateList = compile<ApplicationListQuery>({
  type: 'object',
  properties: { ...pageQueryProperties(), ...searchProperty },
  additionalProperties: false,
});

/** GET /applications: a page in name order (one owner's, for a developer), `next` and Link rel="next" when there is more. */
export async function listApplications(
  ctx: Context,
  apps: Applications,
  base: string,
  present: (a: ApplicationSummary) => unknown,
  /** A developer's session lists only their own applications. */
  only: { owner?: string } = {},
): Promise<void> {
  const query = numericQuery(ctx.query);
  assertValid(validateList, query);
  const page = await apps.list({ ...query, ...only });
  setNextLink(ctx, base, { ...query }, page.next);
  ctx.body = { applications: page.rows.map(present), next: page.next };
}

/** The list's OpenAPI operation; `application` is the schema of one row. */
export function listApplicationsOpenApi(application: object, errors: object) {
  return {
    summary: 'List applications in name order, a page at a time (limit, after; search by name prefix)',
    parameters: [
      ...pageQueryParameters(),
      ...Object.entries(searchProperty).map(([name, { description, ...schema }]) => ({ name, in: 'query', required: false, description, schema })),
    ],
    responses: {
      200: {
        description: 'A page of applications (without key details); Link: <…>; rel="next" when there is more',
        content: {
          'application/json': {
            schema: { type: 'object', properties: { applications: { type: 'array', items: application }, next: nextCursorSchema } },
          },
        },
      },
      ...errors,
    },
  };
}
