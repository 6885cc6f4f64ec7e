// What the fuzzer knows and has done: the clients and applications it may use, which of them
// it must never change ("protected"), every token answered 200, and which tokens and clients
// its own requests may have revoked or changed. The post-check reads this.

export interface Client {
  id: string;
  secret: string;
  /** How the client authenticates at the token endpoint. */
  auth: 'basic' | 'post';
  /** Never revoked, deleted, updated or re-keyed by the fuzzer with valid authority. */
  protected: boolean;
  /** RFC 7592 registration access token, for DCR clients. */
  rat?: string;
  scope: string;
}

export interface Application {
  id: string;
  protected: boolean;
  /** Consumer keys of its key sets, by key type. */
  keys: Partial<Record<'production' | 'sandbox', Client>>;
}

export interface IssuedToken {
  token: string;
  owner: Client;
  scope: string;
  /** Where it was answered, for the report. */
  via: string;
  /** When it was answered (ms since the epoch), for the story of a token found inactive. */
  at?: number;
}

/** Limits on expensive or state-growing changes, so that the run measures input handling. */
const BUDGETS = {
  rotate: 6,
  createApi: 150,
  createApplication: 200,
  register: 400,
  import: 40,
  createIat: 200,
  signIn: 30,
} as const;
export type Budget = keyof typeof BUDGETS;

const POOL_LIMIT = 400;

export class Ledger {
  readonly clients: Client[] = [];
  readonly applications: Application[] = [];
  readonly tokens: IssuedToken[] = [];
  /** Tokens of protected clients by value: requests that name one are kept for the post-check's report. */
  readonly protectedTokens = new Map<string, IssuedToken>();
  /** A bounded sample of tokens for use in requests (all are kept in `tokens`). */
  readonly tokenPool: IssuedToken[] = [];
  /** Initial access tokens the fuzzer created: id (for DELETE) and value (for POST /reg). */
  readonly iats: { id: string; token: string }[] = [];
  /** Tokens a request with the right to revoke them has named. */
  readonly maybeRevoked = new Set<string>();
  /** Clients whose registration, key set or application a request with authority changed. */
  readonly maybeChanged = new Set<string>();
  readonly protectedScopes: ReadonlySet<string>;
  readonly #spent = new Map<Budget, number>();
  /** Tokens answered 200 without exactly one valid client credential in the request. */
  readonly ownerless: { request: string; scope: string }[] = [];

  constructor(protectedScopes: string[]) {
    this.protectedScopes = new Set(protectedScopes);
  }

  spend(budget: Budget): boolean {
    const used = this.#spent.get(budget) ?? 0;
    if (used >= BUDGETS[budget]) return false;
    this.#spent.set(budget, used + 1);
    return true;
  }

  addClient(c: Client): void {
    this.clients.push(c);
    if (this.clients.length > POOL_LIMIT) {
      const i = this.clients.findIndex((x) => !x.protected);
      // Dropped from the pool, not forgotten: its tokens stay in `tokens`.
      if (i >= 0) this.clients.splice(i, 1);
    }
  }

  byId(id: string): Client | undefined {
    return this.clients.find((c) => c.id === id);
  }

  recordToken(t: IssuedToken): void {
    t.at ??= Date.now();
    this.tokens.push(t);
    if (t.owner.protected) this.protectedTokens.set(t.token, t);
    if (this.tokenPool.length < POOL_LIMIT) this.tokenPool.push(t);
    else this.tokenPool[this.tokens.length % POOL_LIMIT] = t;
  }

  /** Called before a request that can revoke `token` is sent (the answer does not matter). */
  mayRevoke(token: string): void {
    this.maybeRevoked.add(token);
  }

  mayChange(clientId: string): void {
    this.maybeChanged.add(clientId);
  }

  mayChangeApplication(app: Application): void {
    for (const c of Object.values(app.keys)) if (c) this.mayChange(c.id);
  }

  /** Only tokens for protected APIs' scopes are held to "still active": other APIs may be changed or deleted. */
  holdsOnlyProtectedScopes(scope: string): boolean {
    const names = scope.split(' ').filter(Boolean);
    return names.length > 0 && names.every((n) => this.protectedScopes.has(n));
  }

  mutableClients(): Client[] {
    return this.clients.filter((c) => !c.protected);
  }

  protectedClients(): Client[] {
    return this.clients.filter((c) => c.protected);
  }
}
