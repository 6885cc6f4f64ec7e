import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DEFAULT_ACCESS_TOKEN_TTL } from './consts/index.js';
import type { Services } from './services.js';

/**
 * Without ADMIN_CLIENT_SECRET a secret is generated once and kept in DATA_DIR (mode 0600),
 * so `npm start` works out of the box and nothing secret is ever logged.
 */
async function adminSecret(s: Services): Promise<{ secret: string; file?: string }> {
  if (s.config.adminClientSecret) return { secret: s.config.adminClientSecret };
  const file = join(s.config.dataDir, 'admin-client-secret');
  try {
    return { secret: (await readFile(file, 'utf8')).trim(), file };
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await mkdir(s.config.dataDir, { recursive: true });
    await writeFile(file, `${secret}\n`, { mode: 0o600 });
    return { secret, file };
  }
}

/** The built-in admin client: created, or brought back in line with the environment, at start. */
export async function ensureAdminClient(s: Services): Promise<void> {
  const { secret, file } = await adminSecret(s);
  await s.adapter('Client').upsert(s.config.adminClientId, {
    client_id: s.config.adminClientId,
    client_secret: secret,
    client_name: 'Administrator',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'admin',
    access_token_strategy: 'opaque',
    access_token_ttl: DEFAULT_ACCESS_TOKEN_TTL,
  }, 0);
  if (file) s.log.info({ client_id: s.config.adminClientId, secret_file: file }, 'admin client secret kept in a file');
}

/** DCR_INITIAL_ACCESS_TOKEN becomes a stored initial access token; a previous value stops working. */
export async function ensureEnvInitialAccessToken(s: Services): Promise<void> {
  await s.initialAccessTokens.ensureFromEnv(s.config.dcrInitialAccessToken);
}
