import type { Services } from '../services.js';
import { Accounts } from './accounts.js';
import { Invitations } from './invitations.js';
import { ApiPublications } from './publications.js';

/** The account stores, built once per Services. */
export interface AccountServices {
  accounts: Accounts;
  invitations: Invitations;
  publications: ApiPublications;
}

const built = new WeakMap<Services, AccountServices>();

export function accountsOf(s: Services): AccountServices {
  let a = built.get(s);
  if (!a) {
    a = {
      accounts: new Accounts(s.store.db),
      invitations: new Invitations(s.store.db, s.config.invitationSeconds),
      publications: new ApiPublications(s.store.db),
    };
    built.set(s, a);
  }
  return a;
}
