import { InvalidArgumentError, type Command } from 'commander';

import { resolveAdmin, resolveUrl, type Env } from './profile.js';
import { AdminSession, ServerClient } from './server-client.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Env;
  readStdin(): Promise<string>;
}

export type Options = Record<string, unknown>;

/** What every command handler gets: output, the server, and admin calls on demand. */
export class CommandContext {
  readonly io: Io;
  readonly json: boolean;
  readonly #urlFlag: string | undefined;
  #admin: Promise<AdminSession> | undefined;

  constructor(io: Io, globals: Options) {
    this.io = io;
    this.json = globals['json'] === true;
    this.#urlFlag = typeof globals['url'] === 'string' ? globals['url'] : undefined;
  }

  async server(): Promise<ServerClient> {
    return new ServerClient(await resolveUrl(this.#urlFlag, this.io.env));
  }

  admin(): Promise<AdminSession> {
    this.#admin ??= (async () => {
      const server = await this.server();
      return new AdminSession(server, await resolveAdmin(server.url, this.io.env));
    })();
    return this.#admin;
  }

  /** `value` as JSON with --json, else what `human` makes of it. */
  print(value: unknown, human: () => string): void {
    this.io.out(this.json ? JSON.stringify(value, null, 2) : human());
  }
}

export type Handler = (ctx: CommandContext, args: string[], opts: Options) => Promise<void>;

/** Commander's action signature, reduced to (context, positional args, options). */
export function action(io: Io, handler: Handler) {
  return async (...all: unknown[]): Promise<void> => {
    const command = all.at(-1) as Command;
    const ctx = new CommandContext(io, command.optsWithGlobals());
    await handler(ctx, command.processedArgs as string[], command.opts());
  };
}

/** Option parser: commander reports a bad value as a usage error naming the option (exit 2). */
export function integer(name: string, min = -Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer${min > -Infinity ? ` >= ${min}` : ''}.`);
    }
    return n;
  };
}

/** Repeatable option; a value may also hold several space-separated items. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(/\s+/).filter(Boolean)];
}

export const str = (opts: Options, key: string): string | undefined =>
  typeof opts[key] === 'string' ? opts[key] : undefined;

export const list = (opts: Options, key: string): string[] | undefined =>
  Array.isArray(opts[key]) ? (opts[key] as string[]) : undefined;


