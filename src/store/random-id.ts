import { randomBytes } from 'node:crypto';

/**
 * A random id of `bytes` bytes in base64url that never begins with '-': such ids are typed as
 * command-line arguments (`keyforge apps transfer <id> …`), where a leading '-' reads as an
 * option. Redrawing one draw in 64 leaves 5.9 of 6 bits in the first character.
 */
export function randomId(bytes: number): string {
  for (;;) {
    const id = randomBytes(bytes).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
