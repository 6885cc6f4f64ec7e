import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Services } from '../services.js';
import { isDuplicateKey } from '../store/index.js';
import { portalOf } from './context.js';
import { verifyPassword } from './password.js';

/** Without ADMIN_PASSWORD one is generated once and kept in DATA_DIR (mode 0600), never logged. */
async function generatedPassword(dataDir: string): Promise<{ password: string; file: string }> {
  const file = join(dataDir, 'admin-password');
  try {
    return { password: (await readFile(file, 'utf8')).trim(), file };
  } catch {
    const password = randomBytes(18).toString('base64url');
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    return { password, file };
  }
}

/**
 * The first portal admin (ADMIN_USERNAME). A set ADMIN_PASSWORD is authoritative at every
 * start, like the admin client's secret; a generated one only seeds a user that does not exist.
 */
export async function ensurePortalAdmin(s: Services): Promise<void> {
  const p = portalOf(s);
  await p.sessions.ensureIndexes();
  await p.throttle.ensureIndexes();
  await s.accounts.invitations.ensureIndexes();
  const { adminUsername: username, adminPassword } = s.config;
  const existing = await p.users.find(username);

  if (adminPassword) {
    if (!existing && await createUnlessRaced(() => p.users.create(username, adminPassword, 'admin'))) return;
    // A record that won the race to the name is held to ADMIN_PASSWORD like any existing one.
    const holder = existing ?? await p.users.find(username);
    if (holder && (holder.role !== 'admin' || !(await verifyPassword(adminPassword, holder.password_hash)))) {
      await p.users.setPassword(username, adminPassword, 'admin');
      // Whoever signed in with the previous password is signed out.
      await p.sessions.destroyForUser(holder._id);
    }
    return;
  }
  if (existing) return;
  const { password, file } = await generatedPassword(s.config.dataDir);
  if (await createUnlessRaced(() => p.users.create(username, password, 'admin'))) {
    s.log.info({ username, password_file: file }, 'portal admin created; its password is kept in a file');
  }
}

/**
 * Instances started together on an empty database all find no admin and all create one: the
 * unique `_id` lets one win, and the others carry on with its admin instead of failing to start.
 * (With ADMIN_PASSWORD set they all hold the same password; without it, the winner's file has it.)
 */
async function createUnlessRaced(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
