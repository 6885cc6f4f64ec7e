import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { CliError } from './errors.js';

export type Env = Record<string, string | undefined>;

export interface AdminCredentials {
  clientId: string;
  clientSecret: string;
}

interface CredentialsFile {
  /** The server `login` last saved, used when no --url or KEYFORGE_URL is given. */
  default?: string;
  servers: Record<string, { client_id: string; client_secret: string }>;
}

export function configDir(env: Env): string {
  return env['KEYFORGE_CONFIG_DIR']
    ?? join(env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config'), 'keyforge');
}

export const credentialsPath = (env: Env) => join(configDir(env), 'credentials.json');

const normalise = (url: string) => url.replace(/\/+$/, '');

async function readCredentials(env: Env): Promise<CredentialsFile> {
  let text: string;
  try {
    text = await readFile(credentialsPath(env), 'utf8');
  } catch {
    return { servers: {} };
  }
  try {
    const parsed = JSON.parse(text) as CredentialsFile;
    return { default: parsed.default, servers: parsed.servers ?? {} };
  } catch {
    throw new CliError(`${credentialsPath(env)} is not valid JSON; remove it and log in again`);
  }
}

async function writeCredentials(env: Env, file: CredentialsFile): Promise<void> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = credentialsPath(env);
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file.
  await chmod(path, 0o600);
}

/** --url, then KEYFORGE_URL, then the server of the last login. */
export async function resolveUrl(flag: string | undefined, env: Env): Promise<string> {
  const url = flag ?? env['KEYFORGE_URL'] ?? (await readCredentials(env)).default;
  if (!url) throw new CliError('no server given: use --url, set KEYFORGE_URL, or run keyforge login --url <url>');
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new CliError(`not an http(s) URL: ${url}`);
  return normalise(url);
}

/**
 * Admin credentials: KEYFORGE_CLIENT_ID and KEYFORGE_CLIENT_SECRET (for CI), else those
 * `login` saved for this very server, so a secret is never sent to another one.
 */
export async function resolveAdmin(url: string, env: Env): Promise<AdminCredentials> {
  const id = env['KEYFORGE_CLIENT_ID'];
  const secret = env['KEYFORGE_CLIENT_SECRET'];
  if (id && secret) return { clientId: id, clientSecret: secret };
  const saved = (await readCredentials(env)).servers[url];
  if (saved) return { clientId: saved.client_id, clientSecret: saved.client_secret };
  throw new CliError(`not logged in to ${url}: run keyforge login, or set KEYFORGE_CLIENT_ID and KEYFORGE_CLIENT_SECRET`);
}

export async function saveLogin(env: Env, url: string, c: AdminCredentials): Promise<string> {
  const file = await readCredentials(env);
  file.servers[url] = { client_id: c.clientId, client_secret: c.clientSecret };
  file.default = url;
  await writeCredentials(env, file);
  return credentialsPath(env);
}

/** Forgets one server; the file goes when it holds nothing else. */
export async function forgetLogin(env: Env, url: string): Promise<boolean> {
  const file = await readCredentials(env);
  if (!file.servers[url]) return false;
  delete file.servers[url];
  if (file.default === url) delete file.default;
  if (Object.keys(file.servers).length) await writeCredentials(env, file);
  else await rm(credentialsPath(env), { force: true });
  return true;
}
