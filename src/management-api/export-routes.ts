import type Router from '@koa/router';
import { BSON, type Document } from 'mongodb';

import type { ApplicationDoc } from '../applications/index.js';

import { createApiSchema, type CreateApiInput } from '../apis/index.js';
import { assertValid, badRequest, compile, readJson } from '../http/index.js';
import { DESCRIPTION_MAX, NAME_MAX, TOKEN_TYPES } from '../applications/index.js';
import { SIGNING_ALGS, type SigningAlg } from '../consts/index.js';
import type { WrappedSecret } from '../keys/index.js';
import { checkClientMetadata } from '../provider/index.js';
import type { Services } from '../services.js';

export const EXPORT_FORMAT = 'keyforge-export';
export const EXPORT_VERSION = 1;
const IMPORT_LIMIT_BYTES = 16 * 1024 * 1024;

interface ExportedApi {
  identifier: string;
  name: string;
  scopes: { name: string; description?: string }[];
  signing_alg?: CreateApiInput['signing_alg'];
  resource_server_clients?: string[];
}

interface ExportedClient {
  client_id: string;
  metadata: Record<string, unknown>;
}

/** A stored document in relaxed MongoDB Extended JSON, so dates survive the trip. */
type StoredDocument = Record<string, unknown> & { _id: string };

export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exported_at?: string;
  issuer?: string;
  apis?: ExportedApi[];
  clients?: ExportedClient[];
  applications?: StoredDocument[];
  signing_keys?: StoredDocument[];
}

const keySetRef = {
  type: 'object',
  properties: { client_id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['client_id'],
} as const;

/** An application as Applications stores it: everything its list and pages read must be there. */
const storedApplication = {
  type: 'object',
  properties: {
    _id: { type: 'string', minLength: 1, maxLength: 500 },
    name: { type: 'string', minLength: 1, maxLength: NAME_MAX },
    name_key: { type: 'string', minLength: 1, maxLength: NAME_MAX },
    description: { type: 'string', maxLength: DESCRIPTION_MAX },
    token_type: { type: 'string', enum: [...TOKEN_TYPES] },
    access_token_ttl: { type: 'integer' },
    subscriptions: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 500 } },
    keys: {
      type: 'object',
      properties: { production: keySetRef, sandbox: keySetRef },
      additionalProperties: false,
    },
  },
  required: ['_id', 'name', 'name_key', 'token_type', 'access_token_ttl', 'subscriptions', 'keys'],
} as const;

export const exportDocumentSchema = {
  type: 'object',
  properties: {
    format: { const: EXPORT_FORMAT },
    version: { const: EXPORT_VERSION },
    exported_at: { type: 'string' },
    issuer: { type: 'string' },
    apis: { type: 'array', maxItems: 10_000, items: createApiSchema },
    clients: {
      type: 'array',
      maxItems: 100_000,
      items: {
        type: 'object',
        properties: {
          // RFC 6749 A.1: client-id = *VSCHAR (%x20-7E); anything else /token cannot take.
          client_id: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x20-\\x7E]+$', expects: 'printable ASCII characters (RFC 6749 VSCHAR)' },
          metadata: { type: 'object' },
        },
        required: ['client_id', 'metadata'],
        additionalProperties: false,
      },
    },
    applications: { type: 'array', maxItems: 100_000, items: storedApplication },
    signing_keys: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        properties: {
          _id: { type: 'string', minLength: 1, maxLength: 200 },
          alg: { type: 'string', enum: [...SIGNING_ALGS] },
          status: { type: 'string', minLength: 1, maxLength: 50 },
          public_jwk: { type: 'object' },
          private_jwk: {
            type: 'object',
            properties: { iv: { type: 'string' }, tag: { type: 'string' }, data: { type: 'string' } },
            required: ['iv', 'tag', 'data'],
            additionalProperties: false,
          },
        },
        required: ['_id', 'alg', 'status', 'public_jwk', 'private_jwk'],
      },
    },
  },
  required: ['format', 'version'],
  additionalProperties: false,
} as const;

const validateImport = compile<ExportDocument>(exportDocumentSchema);

const toEjson = (doc: Document) => BSON.EJSON.serialize(doc, { relaxed: true }) as StoredDocument;
const fromEjson = (doc: StoredDocument) => BSON.EJSON.deserialize(doc, { relaxed: true }) as Document & { _id: string };

/**
 * The whole configuration as one JSON document, and back. Client secrets travel only as the
 * keyed hashes stored here and signing keys only wrapped, so nothing secret is in clear; the
 * flip side is that both are bound to KEY_ENCRYPTION_SECRET, which the importing server must
 * share. The built-in admin client and the management API itself are not part of it: each
 * server has its own.
 */
export function exportRoutes(router: Router, s: Services): void {
  router.get('/export', async (ctx) => {
    await s.registry.refresh();
    const apis: ExportedApi[] = s.registry.list().filter((a) => !a.system).map((a) => ({
      identifier: a.identifier,
      name: a.name,
      scopes: a.scopes,
      signing_alg: a.signing_alg,
      resource_server_clients: a.resource_server_clients,
    }));
    const clients: ExportedClient[] = await s.registeredClients.exportRecords();
    const applications = (await s.applications.exportRecords()).map(toEjson);
    const signingKeys = (await s.signingKeys.exportRecords()).map(toEjson);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', 'attachment; filename="keyforge-export.json"');
    const doc: ExportDocument = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exported_at: new Date().toISOString(),
      issuer: s.config.issuer,
      apis,
      clients,
      applications,
      signing_keys: signingKeys,
    };
    ctx.body = doc;
  });

  router.post('/import', async (ctx) => {
    const body = await readJson(ctx, IMPORT_LIMIT_BYTES);
    assertValid(validateImport, body);
    checkImportable(body, s);

    // Order matters without transactions: scopes exist before clients naming them, clients
    // before the applications pointing at them, keys last so a failure above changes no signing.
    const apis = body.apis ?? [];
    for (const api of apis) {
      await s.registry.refresh();
      const { identifier, ...rest } = api;
      if (s.registry.get(identifier)) {
        await s.registry.update(identifier, {
          ...rest,
          scopes: rest.scopes,
          resource_server_clients: rest.resource_server_clients ?? [],
        });
      } else {
        await s.registry.create(api);
      }
    }
    if (apis.length) await reloadProvider(s);

    const clients = body.clients ?? [];
    clients.forEach((c, i) => {
      const problem = checkClientMetadata(c.metadata, {
        registry: s.registry,
        maxAccessTokenTtl: s.config.maxAccessTokenTtl,
        // The admin scope belongs to the environment's admin client alone: an import that
        // carried it would make an admin that outlives ADMIN_CLIENT_SECRET.
        systemScopesAllowed: false,
      });
      if (problem) throw badRequest(`clients.${i} (${c.client_id}): ${problem.message}`);
    });
    for (const c of clients) await s.registeredClients.importClient(c.client_id, c.metadata);

    const applications = body.applications ?? [];
    // The document was checked only for its _id: the stored shape is the exporting server's.
    await s.applications.importRecords(applications.map((a) => fromEjson(a) as unknown as ApplicationDoc));

    // Published as soon as the holder reloads, so every token they signed verifies here. Which
    // key signs stays this server's rule (the newest one due), so its own keys keep signing.
    const keys = (body.signing_keys ?? []).map(fromEjson);
    await s.signingKeys.importKeys(keys, body.issuer);
    await reloadProvider(s);

    ctx.body = {
      imported: {
        apis: apis.length,
        clients: clients.length,
        applications: applications.length,
        signing_keys: keys.length,
      },
    };
  });
}

/**
 * The provider rebuilt from what is stored now. holder.refresh() shares a refresh already
 * running, which may have read the database before our writes; the second call starts after it.
 */
async function reloadProvider(s: Services): Promise<void> {
  await s.holder.refresh();
  await s.holder.refresh();
}

/** Refuses, before anything is written, what would break this server or could not work here. */
function checkImportable(doc: ExportDocument, s: Services): void {
  const systemApis = new Set(s.registry.list().filter((a) => a.system).map((a) => a.identifier));
  doc.apis?.forEach((a, i) => {
    if (systemApis.has(a.identifier)) throw badRequest(`apis.${i}: ${a.identifier} is this server's management API`);
  });
  doc.clients?.forEach((c, i) => {
    if (c.client_id === s.config.adminClientId) throw badRequest(`clients.${i}: the admin client is not imported`);
  });
  doc.signing_keys?.forEach((k, i) => {
    const problem = s.signingKeys.checkImported(k._id, k['alg'] as SigningAlg, k['private_jwk'] as WrappedSecret, k['public_jwk']);
    if (problem) throw badRequest(`signing_keys.${i}: key ${k._id} ${problem}`);
  });
}

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errorRef = { $ref: '#/components/schemas/Error' };
const authErrors = {
  401: { description: 'Missing or invalid bearer token', ...json(errorRef) },
  403: { description: 'The token lacks the admin scope', ...json(errorRef) },
};

export const exportOpenApi = {
  paths: {
    '/export': {
      get: {
        summary: 'Export the configuration: APIs, clients (hashed secrets), applications, signing keys (wrapped)',
        description: 'Secrets are bound to KEY_ENCRYPTION_SECRET: a server importing this document must use the same one.',
        responses: { 200: { description: 'The document', ...json({ $ref: '#/components/schemas/ExportDocument' }) }, ...authErrors },
      },
    },
    '/import': {
      post: {
        summary: 'Apply an exported (or hand-written) document: everything in it is created or replaced by id; nothing else is removed',
        requestBody: { required: true, ...json({ $ref: '#/components/schemas/ExportDocument' }) },
        responses: {
          200: {
            description: 'Counts of what was applied',
            ...json({
              type: 'object',
              properties: {
                imported: {
                  type: 'object',
                  properties: Object.fromEntries(['apis', 'clients', 'applications', 'signing_keys'].map((k) => [k, { type: 'integer' }])),
                },
              },
            }),
          },
          400: { description: 'Invalid document; the description names the entry', ...json(errorRef) },
          409: { description: 'A scope or application name already belongs to something else here', ...json(errorRef) },
          ...authErrors,
        },
      },
    },
  },
  schemas: { ExportDocument: exportDocumentSchema },
};
