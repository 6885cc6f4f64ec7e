import type { PortalRole } from '../portal/users.js';

/** Who is acting, whichever door they came through (portal session, API session, admin client). */
export interface Principal {
  /** Lower-case username of a portal account; undefined for the admin client. */
  username?: string;
  role: PortalRole;
}

/** The owner an application created by `p` gets: a person's own name; none for the admin client. */
export const ownerFor = (p: Principal): string | undefined => p.username;
