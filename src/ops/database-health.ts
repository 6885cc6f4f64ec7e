import {
  MongoError, MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError,
  MongoTopologyClosedError, type MongoClient,
} from 'mongodb';

import { HttpError } from '../http/index.js';

/** Seconds a client is asked to wait before retrying while the database is away. */
export const RETRY_AFTER_SECONDS = 5;

/** /readyz answers within this, below the 1 s a probe typically waits, leaving room for HTTP. */
export const READINESS_DEADLINE_MS = 700;
/** How long one ping may run in the background; later probes share it meanwhile. */
const PING_TIMEOUT_MS = 5000;

/** Errors that mean "the database cannot be reached", as opposed to a bad request or a bug. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof MongoError)) return false;
  // A bulk write that never reached the server carries the network error inside it.
  const inner = (err as { errorResponse?: unknown }).errorResponse ?? err.cause;
  if (depth < 3 && inner instanceof Error && inner !== err && isDatabaseUnavailable(inner, depth + 1)) return true;
  return err instanceof MongoNetworkError
    || err instanceof MongoServerSelectionError
    || err instanceof MongoTopologyClosedError
    || err instanceof MongoNotConnectedError
    || err.name === 'PoolClearedError'
    || err.name === 'MongoPoolClearedError'
    || err.hasErrorLabel('NetworkError');
}

export function serviceUnavailable(): HttpError {
  return new HttpError(503, 'temporarily_unavailable', 'the token database is unreachable; retry shortly', {
    'Retry-After': String(RETRY_AFTER_SECONDS),
  });
}

/**
 * Tracks whether the database answers, from the driver's own heartbeats and from the outcome
 * of our operations, so that requests fail fast with 503 while it is away instead of each
 * waiting for server selection to time out.
 */
export class DatabaseHealth {
  #available = true;
  #since = Date.now();
  readonly #client: MongoClient;
  #pinging: Promise<boolean> | undefined;
  #pingStarted = 0;

  constructor(client: MongoClient) {
    this.#client = client;
    // Topology, not single heartbeats: a replica set that lost a secondary is still available.
    client.on('topologyDescriptionChanged', (e) => {
      const t = e.newDescription;
      const reachable = [...t.servers.values()].some((server) => server.type !== 'Unknown');
      this.#set(t.type === 'ReplicaSetNoPrimary' || t.type === 'Unknown' ? false : reachable);
    });
    client.on('commandSucceeded', () => this.#set(true));
  }

  #set(available: boolean): void {
    if (available !== this.#available) {
      this.#available = available;
      this.#since = Date.now();
    }
  }

  get available(): boolean {
    return this.#available;
  }

  get changedAt(): number {
    return this.#since;
  }

  /** Report an operation's failure; only reachability problems change the state. */
  observe(err: unknown): void {
    if (isDatabaseUnavailable(err)) this.#set(false);
  }

  /**
   * An actual round trip, for readiness probes, answered within `deadlineMs` whatever the
   * database does. The driver's own timeout does not bound it: against a stalled server (one
   * that accepts and never answers) the first ping waited for the connection to be declared
   * dead, several seconds, longer than any probe waits. One ping at a time: probes that
   * arrive while one is out share it rather than pile up commands on a stalled server.
   */
  async ping(deadlineMs = READINESS_DEADLINE_MS): Promise<boolean> {
    // A ping older than its own timeout is not shared any more: should the driver never settle
    // it (a pool cleared while the server was away), readiness must not stay false for ever.
    if (this.#pinging && Date.now() - this.#pingStarted > PING_TIMEOUT_MS + deadlineMs) this.#pinging = undefined;
    if (!this.#pinging) this.#pingStarted = Date.now();
    this.#pinging ??= this.#client.db('admin').command({ ping: 1 }, { timeoutMS: PING_TIMEOUT_MS })
      .then(() => {
        this.#set(true);
        return true;
      }, (err: unknown) => {
        this.observe(err);
        return false;
      })
      .finally(() => {
        this.#pinging = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    try {
      return await Promise.race([this.#pinging, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
