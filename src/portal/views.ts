import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Eta } from 'eta';

import { describeSeconds } from '../applications/index.js';
import { dpopScript } from './dpop-recipe.js';

/** views/ sits at the repository root, above src/ when run from source and dist/src/ when built. */
function findViewsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'views');
    if (existsSync(join(candidate, 'layout.eta'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('portal templates (views/layout.eta) not found');
}

const CONTENT_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  body: Buffer;
  type: string;
  version: string;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short',
});

/** Templates (eta, escaped by default) and the CSS, JS and icons they use, all served by us. */
export class Views {
  readonly #eta: Eta;
  readonly assets = new Map<string, Asset>();
  readonly helpers;

  constructor() {
    const dir = findViewsDir();
    this.#eta = new Eta({ views: dir, cache: true, autoEscape: true });
    const assetDir = join(dir, 'assets');
    for (const name of readdirSync(assetDir)) {
      const type = CONTENT_TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(join(assetDir, name));
      this.assets.set(name, { body, type, version: createHash('sha256').update(body).digest('hex').slice(0, 10) });
    }
    const assets = this.assets;
    this.helpers = {
      asset: (name: string) => `/portal/assets/${name}?v=${assets.get(name)?.version ?? '0'}`,
      date: (d: Date) => dateFormat.format(d),
      dateTime: (d: Date) => dateTimeFormat.format(d),
      iso: (d: Date) => d.toISOString(),
      seconds: (n: number) => describeSeconds(n),
      dpopScript,
      shortSeconds: (n: number) => (n < 0 ? 'Never expires' : describeSeconds(n).replace(/^\d+ seconds \((.*)\)$/, '$1')),
    };
  }

  render(template: string, data: Record<string, unknown>): string {
    return this.#eta.render(template, { ...data, h: this.helpers });
  }
}
