import type { ApiRegistry } from '../apis/index.js';
import type { Applications } from '../applications/index.js';
import type { AuditLog, AuditAction } from '../audit/index.js';
import { badRequest, conflict, HttpError, notFound } from '../http/index.js';
import type { PortalSessions } from '../portal/sessions.js';
import type { PortalRole } from '../portal/users.js';
import { statusOf, usernameProblem, type AccountDoc } from './accounts.js';
import type { AccountServices } from './context.js';

/** Who made a change and from where, for the audit log. */
export interface Actor {
  /** `user:<name>` or `client:<id>`. */
  id: string;
  /** Lower-case username when a person acts (so they cannot lock themselves out). */
  username?: string;
  ip: string;
}

export interface IssuedLink {
  url: string;
  expires_at: Date;
}

const invitationUrl = (issuer: string, token: string) => `${issuer}/portal/invitations/${token}`;

/** What AccountActions uses, and nothing more. */
export interface AccountActionsDeps {
  issuer: string;
  accounts: AccountServices;
  /** The portal's sessions: a disabled, reset or deleted account is signed out everywhere. */
  sessions: PortalSessions;
  applications: Pick<Applications, 'listAll' | 'remove' | 'setOwner'>;
  registry: Pick<ApiRegistry, 'get'>;
  audit: Pick<AuditLog, 'record'>;
}

/**
 * What admins do to accounts, the same through the portal and the management API: each change
 * is recorded in the audit log under whoever made it.
 */
export class AccountActions {
  readonly #s: AccountActionsDeps;
  readonly #sessions: PortalSessions;
  readonly #a: AccountServices;

  constructor(deps: AccountActionsDeps) {
    this.#s = deps;
    this.#sessions = deps.sessions;
    this.#a = deps.accounts;
  }

  #audit(actor: Actor, action: AuditAction, target: string, details?: Record<string, unknown>): void {
    void this.#s.audit.record({ actor: actor.id, action, target, ip: actor.ip, ...(details ? { details } : {}) });
  }

  async invite(actor: Actor, o: { username: string; role: PortalRole; email?: string }): Promise<{ account: AccountDoc; link: IssuedLink }> {
    const problem = usernameProblem(o.username);
    if (problem) throw badRequest(`username: ${problem}`);
    const account = await this.#a.accounts.createInvited({ ...o, invitedBy: actor.id });
    const { token, expiresAt } = await this.#a.invitations.create(account._id, 'invite', actor.id);
    this.#audit(actor, 'account.invite', account._id, { role: o.role, expires_at: expiresAt.toISOString() });
    return { account, link: { url: invitationUrl(this.#s.issuer, token), expires_at: expiresAt } };
  }

  /** A new link to choose a password; the old password stops working and every session ends. */
  async resetPassword(actor: Actor, username: string): Promise<IssuedLink> {
    const account = await this.#a.accounts.get(username);
    await this.#a.accounts.clearPassword(account._id);
    await this.#sessions.destroyForUser(account._id);
    const { token, expiresAt } = await this.#a.invitations.create(account._id, 'reset', actor.id);
    this.#audit(actor, 'account.password_reset', account._id, { expires_at: expiresAt.toISOString() });
    return { url: invitationUrl(this.#s.issuer, token), expires_at: expiresAt };
  }

  #notSelf(actor: Actor, username: string, what: string): void {
    if (actor.username && actor.username === username.toLowerCase()) throw conflict(`you cannot ${what} your own account`);
  }

  /** Signed out everywhere at once; the account's applications and their keys keep working. */
  async disable(actor: Actor, username: string): Promise<void> {
    const account = await this.#a.accounts.get(username);
    this.#notSelf(actor, account._id, 'disable');
    await this.#a.accounts.setStatus(account._id, 'disabled');
    await this.#sessions.destroyForUser(account._id);
    this.#audit(actor, 'account.disable', account._id);
  }

  async enable(actor: Actor, username: string): Promise<void> {
    const account = await this.#a.accounts.get(username);
    if (statusOf(account) === 'invited') throw conflict('this account has not chosen a password yet; it is not disabled');
    await this.#a.accounts.setStatus(account._id, 'active');
    this.#audit(actor, 'account.enable', account._id);
  }

  /** The account, its sessions, its pending links and every application it owns (with their keys and tokens). */
  async remove(actor: Actor, username: string): Promise<{ applications: string[] }> {
    const account = await this.#a.accounts.get(username);
    this.#notSelf(actor, account._id, 'delete');
    // Sign-in stops first, so nothing new is made while the applications go.
    await this.#a.accounts.setStatus(account._id, 'disabled');
    await this.#sessions.destroyForUser(account._id);
    const apps = this.#s.applications;
    const owned = await apps.listAll({ owner: account._id });
    for (const app of owned) await apps.remove(app.id);
    await this.#a.invitations.removeFor(account._id);
    await this.#a.accounts.remove(account._id);
    this.#audit(actor, 'account.delete', account._id, { applications: owned.map((a) => a.id) });
    return { applications: owned.map((a) => a.id) };
  }

  /** Another account now owns the application; its keys and tokens are unchanged. */
  async transfer(actor: Actor, applicationId: string, to: string): Promise<void> {
    const target = await this.#a.accounts.find(to);
    if (!target) throw new HttpError(400, 'invalid_request', `owner: there is no account named ${to}`);
    const { from } = await this.#s.applications.setOwner(applicationId, target._id);
    this.#audit(actor, 'application.transfer', applicationId, { from, to: target._id });
  }

  async publish(actor: Actor, identifier: string, published: boolean): Promise<void> {
    if (!this.#s.registry.get(identifier)) throw notFound(`API ${identifier} not found`);
    if (published) await this.#a.publications.publish(identifier, actor.id);
    else await this.#a.publications.unpublish(identifier);
    this.#audit(actor, published ? 'api.publish' : 'api.unpublish', identifier);
  }

  /** A person's own sessions, newest first. */
  sessionsOf(username: string) {
    return this.#sessions.collection
      .find({ user_id: username.toLowerCase(), expiresAt: { $gt: new Date() } }, { projection: { csrf: 0, flash: 0 } })
      .sort({ created_at: -1 }).limit(100).toArray();
  }

  /** Ends one of the person's own sessions (by its stored id, which is no credential). */
  async endSession(actor: Actor, username: string, sessionId: string): Promise<boolean> {
    const r = await this.#sessions.collection.deleteOne({ _id: sessionId, user_id: username.toLowerCase() });
    if (r.deletedCount) this.#audit(actor, 'account.session_end', username.toLowerCase());
    return r.deletedCount > 0;
  }
}
