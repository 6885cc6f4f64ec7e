import type Router from '@koa/router';

import {
  createApiSchema, updateApiSchema, type Api, type CreateApiInput, type UpdateApiInput,
} from '../apis/index.js';
import { assertValid, compile, notFound, readJson } from '../http/index.js';
import type { Services } from '../services.js';

const validateCreate = compile<CreateApiInput>(createApiSchema);
const validateUpdate = compile<UpdateApiInput>(updateApiSchema);
const validateLink = compile<{ client_id: string }>({
  type: 'object',
  properties: { client_id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['client_id'],
  additionalProperties: false,
});

export function presentApi(api: Api) {
  return {
    identifier: api.identifier,
    name: api.name,
    scopes: api.scopes,
    signing_alg: api.signing_alg,
    resource_server_clients: api.resource_server_clients,
    system: api.system,
    created_at: api.created_at,
    updated_at: api.updated_at,
  };
}

/** APIs (resource servers) and their scopes; `:id` is the URL-encoded identifier. */
export function apiRoutes(router: Router, s: Services): void {
  const { registry } = s;
  const find = async (id: string) => {
    await registry.refresh();
    const api = registry.get(id);
    if (!api) throw notFound(`API ${id} not found`);
    return api;
  };

  router.get('/apis', async (ctx) => {
    await registry.refresh();
    ctx.body = { apis: registry.list().map(presentApi) };
  });

  router.post('/apis', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateCreate, body);
    const api = await registry.create(body);
    await s.holder.refresh();
    ctx.status = 201;
    ctx.set('Location', `${s.config.issuer}/api/apis/${encodeURIComponent(api.identifier)}`);
    ctx.body = presentApi(api);
  });

  router.get('/apis/:id', async (ctx) => {
    ctx.body = presentApi(await find(ctx.params['id']!));
  });

  router.patch('/apis/:id', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateUpdate, body);
    const api = await registry.update(ctx.params['id']!, body);
    await s.holder.refresh();
    ctx.body = presentApi(api);
  });

  router.delete('/apis/:id', async (ctx) => {
    await registry.remove(ctx.params['id']!);
    await s.holder.refresh();
    ctx.status = 204;
  });

  router.post('/apis/:id/resource-servers', async (ctx) => {
    const body = await readJson(ctx);
    assertValid(validateLink, body);
    const api = await find(ctx.params['id']!);
    if (!(await s.findClient(body.client_id))) throw notFound(`client ${body.client_id} not found`);
    const clients = [...new Set([...api.resource_server_clients, body.client_id])];
    ctx.body = presentApi(await registry.update(api.identifier, { resource_server_clients: clients }));
  });

  router.delete('/apis/:id/resource-servers/:clientId', async (ctx) => {
    const api = await find(ctx.params['id']!);
    const clients = api.resource_server_clients.filter((c) => c !== ctx.params['clientId']);
    ctx.body = presentApi(await registry.update(api.identifier, { resource_server_clients: clients }));
  });
}
