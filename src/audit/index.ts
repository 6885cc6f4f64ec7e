/**
 * audit: the append-only audit log in MongoDB (who, what, when, from where; never a secret),
 * written by the management API, registration, revocation and the portal, in one vocabulary
 * of actions (actions.ts).
 */
export { AuditLog, type AuditEntry, type AuditInput } from './audit-log.js';
export { AUDIT_ACTIONS, MANAGEMENT_ROUTE_ACTIONS, type AuditAction } from './actions.js';
