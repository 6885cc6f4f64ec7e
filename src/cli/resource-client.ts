import { CliError } from './errors.js';
import { details } from './output.js';
import { apiPath, type AdminSession } from './server-client.js';

/** A resource-server client as created here; the secret is known only at this moment. */
export interface ResourceClient {
  client_id: string;
  client_secret: string;
  client_name: string;
}

/**
 * Registers a client-credentials client for an API's resource server (RFC 7591, with a
 * short-lived initial access token of its own, removed afterwards) and links it to the API,
 * so the API can introspect its tokens and read its revocations.
 */
export async function createResourceClient(admin: AdminSession, identifier: string, name: string): Promise<ResourceClient> {
  const iat = await admin.call<{ id: string; initial_access_token: string }>('POST', '/initial-access-tokens', {
    expires_in: 60,
    allowed_apis: [identifier],
    max_uses: 1,
    description: `keyforge CLI: resource-server client for ${identifier}`.slice(0, 200),
  });
  let client: ResourceClient;
  try {
    const a = await admin.server.send('POST', '/reg', {
      headers: { authorization: `Bearer ${iat.initial_access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: name, grant_types: ['client_credentials'] }),
    });
    const b = (a.body ?? {}) as Record<string, unknown>;
    if (a.status !== 201 || typeof b['client_id'] !== 'string' || typeof b['client_secret'] !== 'string') {
      const reason = typeof b['error_description'] === 'string' ? b['error_description'] : 'unexpected answer';
      throw new CliError(`registering the resource-server client: ${reason} (HTTP ${a.status})`);
    }
    client = { client_id: b['client_id'], client_secret: b['client_secret'], client_name: name };
  } finally {
    await admin.call('DELETE', `/initial-access-tokens/${encodeURIComponent(iat.id)}`).catch(() => undefined);
  }
  await admin.call('POST', `${apiPath(identifier)}/resource-servers`, { client_id: client.client_id });
  return client;
}

/** The client's id and secret for people, with the warning that the secret is not shown again. */
export function showResourceClient(c: ResourceClient, identifier: string): string {
  return [
    `resource-server client of ${identifier} (the secret is shown only now):`,
    details({ ...c }, ['client_name', 'client_id', 'client_secret']),
  ].join('\n');
}
