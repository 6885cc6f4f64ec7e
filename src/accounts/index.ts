/**
 * accounts: the people of the portal. Accounts with a role (admin or developer) and a status
 * (invited, active, disabled) in `portal_users`; single-use invitation and password-reset links;
 * self sign-up rules; which APIs are published to developers; who may use which application;
 * and the admin's account actions shared by the portal and the management API.
 */
export { createAccountServices, type AccountServices } from './context.js';
