/**
 * portal: the server-rendered developer portal under /portal. Sign-in for portal users
 * (scrypt password hashes, sessions and sign-in throttling in MongoDB, a bound on password
 * checks running at once, CSRF tokens on every form), applications with their production
 * and sandbox keys and usage charts, APIs with their scopes, one's own account, invitation
 * links and self sign-up; for administrators accounts, the usage overview and the governance of
 * dynamic registration: registered clients and initial access tokens. Developers reach only
 * their own applications (access-guard).
 * Templates, CSS and JS live in views/ at the repository root and are served by the app.
 */
export { portalMiddleware } from './portal-middleware.js';
export { createPortal, type Portal } from './context.js';
export { ensurePortalAdmin } from './bootstrap-admin.js';
export { PortalUsers, type PortalRole } from './users.js';
