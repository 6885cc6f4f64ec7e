import type { Db } from 'mongodb';

import { Accounts } from './accounts.js';
import { Invitations } from './invitations.js';
import { ApiPublications } from './publications.js';

/** The account stores, built once in createServices. */
export interface AccountServices {
  accounts: Accounts;
  invitations: Invitations;
  publications: ApiPublications;
}

export function createAccountServices(db: Db, invitationSeconds: number): AccountServices {
  return {
    accounts: new Accounts(db),
    invitations: new Invitations(db, invitationSeconds),
    publications: new ApiPublications(db),
  };
}
