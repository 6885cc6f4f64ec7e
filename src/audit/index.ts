/**
 * audit: the append-only audit log in MongoDB (who, what, when, from where; never a secret),
 * written by the management API, registration, revocation and the portal.
 */
export { AuditLog, type AuditEntry, type AuditInput } from './audit-log.js';
