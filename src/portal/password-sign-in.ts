import type { LoginThrottle, Attempt } from './login-throttle.js';
import type { PasswordCheckGate } from './password-check-gate.js';
import type { PortalUser, PortalUsers } from './users.js';

export type CheckOutcome =
  | { kind: 'busy'; why: 'username' | 'server' }
  | { kind: 'locked'; retryAfter: number }
  | { kind: 'checked'; attempt: Attempt; user: PortalUser | undefined };

export interface PasswordCheckDeps {
  users: PortalUsers;
  throttle: LoginThrottle;
  passwordChecks: PasswordCheckGate;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One password check under the sign-in rules, wherever the password is typed (the portal's
 * sign-in form, the management API's session endpoint, a password change).
 */
export async function checkPassword(p: PasswordCheckDeps, username: string, password: string, address: string): Promise<CheckOutcome> {
  // A place among the running checks comes first: attempts beyond them are refused at
  // once and cost neither a database write nor a scrypt run.
  let entry = p.passwordChecks.tryEnter(username);
  if (!entry.entered) return { kind: 'busy', why: entry.busy };
  try {
    // Counted before the password is checked, so parallel attempts, here or at other
    // instances, cannot check more passwords than the limit allows.
    const reservation = await p.throttle.reserve(username, address);
    if (!reservation.granted) return { kind: 'locked', retryAfter: reservation.retryAfter };
    const { attempt } = reservation;
    if (attempt.delayMs) {
      // The slow-down is waited out without a place, so slowed attempts crowd out nobody.
      entry.leave();
      await sleep(attempt.delayMs);
      entry = p.passwordChecks.tryEnter(username);
      if (!entry.entered) {
        await p.throttle.release(attempt);
        return { kind: 'busy', why: entry.busy };
      }
    }
    return { kind: 'checked', attempt, user: await p.users.authenticate(username, password) };
  } finally {
    if (entry.entered) entry.leave();
  }
}
