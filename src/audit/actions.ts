/**
 * The one vocabulary of the audit log: the same change is named the same whether it came
 * through the management API, the portal, the CLI or RFC 7591/7592, so one filter finds it.
 */
export const AUDIT_ACTIONS = [
  'api.create', 'api.update', 'api.delete', 'api.link_resource_server', 'api.unlink_resource_server',
  'application.create', 'application.update', 'application.delete',
  'keys.generate', 'keys.update', 'keys.remove', 'keys.regenerate_secret', 'keys.issue_token', 'keys.revoke_tokens',
  'keys.rotate_secret', 'keys.end_previous_secret',
  'client.register', 'client.update', 'client.delete', 'client.disable', 'client.enable',
  'client.registration_token_rotate', 'client.registration_token_revoke',
  'client.rotate_secret', 'client.end_previous_secret',
  'initial_access_token.create', 'initial_access_token.delete',
  'signing_key.rotate', 'signing_key.delete',
  'token.revoke',
  'config.export', 'config.import',
  'portal.sign_in', 'portal.sign_in_failed', 'portal.sign_in_locked', 'portal.sign_out',
  'account.invite', 'account.invitation_accept', 'account.sign_up', 'account.disable', 'account.enable',
  'account.delete', 'account.password_reset', 'account.password_change', 'account.session_end',
  'application.transfer', 'api.publish', 'api.unpublish',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Management API routes (`METHOD /route` as @koa/router names them) and what each records. */
export const MANAGEMENT_ROUTE_ACTIONS: Readonly<Record<string, AuditAction>> = {
  'POST /api/apis': 'api.create',
  'PATCH /api/apis/:id': 'api.update',
  'DELETE /api/apis/:id': 'api.delete',
  'POST /api/apis/:id/resource-servers': 'api.link_resource_server',
  'DELETE /api/apis/:id/resource-servers/:clientId': 'api.unlink_resource_server',
  'POST /api/applications': 'application.create',
  'PATCH /api/applications/:id': 'application.update',
  'DELETE /api/applications/:id': 'application.delete',
  'POST /api/applications/:id/keys/:keyType': 'keys.generate',
  'PATCH /api/applications/:id/keys/:keyType': 'keys.update',
  'DELETE /api/applications/:id/keys/:keyType': 'keys.remove',
  'POST /api/applications/:id/keys/:keyType/regenerate-secret': 'keys.regenerate_secret',
  'POST /api/applications/:id/keys/:keyType/rotate-secret': 'keys.rotate_secret',
  'POST /api/applications/:id/keys/:keyType/end-previous-secret': 'keys.end_previous_secret',
  'POST /api/applications/:id/keys/:keyType/token': 'keys.issue_token',
  'POST /api/applications/:id/keys/:keyType/revoke': 'keys.revoke_tokens',
  'POST /api/clients/:id/disable': 'client.disable',
  'POST /api/clients/:id/enable': 'client.enable',
  'DELETE /api/clients/:id': 'client.delete',
  'POST /api/clients/:id/rotate-secret': 'client.rotate_secret',
  'POST /api/clients/:id/end-previous-secret': 'client.end_previous_secret',
  'POST /api/clients/:id/registration-access-token': 'client.registration_token_rotate',
  'DELETE /api/clients/:id/registration-access-token': 'client.registration_token_revoke',
  'POST /api/initial-access-tokens': 'initial_access_token.create',
  'DELETE /api/initial-access-tokens/:id': 'initial_access_token.delete',
  'POST /api/keys/rotate': 'signing_key.rotate',
  'DELETE /api/keys/:kid': 'signing_key.delete',
  'GET /api/export': 'config.export',
  'POST /api/import': 'config.import',
};
