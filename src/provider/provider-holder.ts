import type { Context, Middleware, Next } from 'koa';
import type Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';

import type { SigningKeySet, SigningKeys } from '../keys/index.js';
import { buildProvider, type ProviderDeps } from './build-provider.js';

interface Current {
  provider: Provider;
  middleware: Middleware;
  keys: SigningKeySet;
  apiVersion: number;
}

/**
 * Keeps the live oidc-provider. Keys and the API list are baked into a provider at
 * construction, so a change to either (here or on another instance, seen by `refresh`)
 * builds a fresh one; requests already inside the old one finish there.
 */
export class ProviderHolder {
  readonly #deps: Omit<ProviderDeps, 'keys'>;
  readonly #signingKeys: SigningKeys;
  readonly #onKeys: (keys: SigningKeySet) => void;
  #current: Current | undefined;
  #refreshing: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(deps: Omit<ProviderDeps, 'keys'>, signingKeys: SigningKeys, onKeys: (keys: SigningKeySet) => void) {
    this.#deps = deps;
    this.#signingKeys = signingKeys;
    this.#onKeys = onKeys;
  }

  get provider(): Provider {
    if (!this.#current) throw new Error('provider not initialised');
    return this.#current.provider;
  }

  get keys(): SigningKeySet {
    if (!this.#current) throw new Error('provider not initialised');
    return this.#current.keys;
  }

  #build(keys: SigningKeySet): void {
    const provider = buildProvider({ ...this.#deps, keys });
    this.#current = {
      provider,
      middleware: mount(provider as unknown as Koa),
      keys,
      apiVersion: this.#deps.registry.snapshot.version,
    };
    this.#onKeys(keys);
  }

  async init(): Promise<void> {
    await this.#deps.registry.refresh(true);
    this.#build(await this.#signingKeys.load());
  }

  /**
   * Rebuilds only if keys or APIs changed. A call made while a run is under way gets the
   * next run (that one may have read the database before the caller's write); calls made
   * meanwhile share it.
   */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#queued ??= this.#refreshing.then(() => {
        this.#queued = undefined;
        return this.refresh();
      });
      return this.#queued;
    }
    this.#refreshing = this.#run().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #run(): Promise<void> {
    const snapshot = await this.#deps.registry.refresh();
    const fingerprint = await this.#signingKeys.fingerprint();
    const cur = this.#current;
    if (!cur || fingerprint !== cur.keys.fingerprint) {
      this.#build(await this.#signingKeys.load());
    } else if (snapshot.version !== cur.apiVersion) {
      this.#build(cur.keys);
    }
  }

  middleware(): Middleware {
    return (ctx: Context, next: Next) => {
      if (!this.#current) throw new Error('provider not initialised');
      return this.#current.middleware(ctx, next);
    };
  }
}
