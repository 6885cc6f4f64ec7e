/**
 * accounts: the people of the portal. Accounts with a role (admin or developer) and a status
 * (invited, active, disabled) in `portal_users`; single-use invitation and password-reset links;
 * self sign-up rules; which APIs are published to developers; who may use which application;
 * and the admin's account actions shared by the portal and the management API.
 */
export { accountsOf, type AccountServices } from './context.js';
export { accountActionsOf, type Actor, type IssuedLink } from './account-actions.js';
export { Accounts, present as presentAccount, passwordProblem, usernameProblem, type Account, type AccountDoc } from './accounts.js';
export { Invitations } from './invitations.js';
export { ApiPublications } from './publications.js';
export { isAdmin, mayUseApplication, ownerFor, type Principal } from './principal.js';
export { selfSignUpProblem } from './self-signup.js';
