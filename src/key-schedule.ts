import { startRotationTask } from './keys/index.js';
import { failureLogger } from './ops/index.js';
import type { Services } from './services.js';
import { longestJwtLifetime, unexpiredJwtIssuedBy } from './tokens/index.js';

const DAY_MS = 86_400_000;

/** The deps of the key schedule, also used by GET /api/keys to say when retired keys go. */
export function keyScheduleOptions(s: Services) {
  const c = s.store.collections;
  return {
    db: s.store.db,
    keys: s.signingKeys,
    periodMs: Math.round(s.config.keyRotationDays * DAY_MS),
    activationDelaySeconds: s.config.keyActivationDelaySeconds,
    configRefreshSeconds: s.config.configRefreshSeconds,
    longestLifetime: () => longestJwtLifetime(c, s.config.maxAccessTokenTtl),
    unexpiredJwtIssuedBy: (issuedBy: number, now: Date) => unexpiredJwtIssuedBy(c, issuedBy, now),
  };
}

/** Scheduled rotation (KEY_ROTATION_DAYS) and removal of spent keys, in every instance. */
export function startKeySchedule(s: Services): () => Promise<void> {
  return startRotationTask({
    ...keyScheduleOptions(s),
    everyMs: s.config.configRefreshSeconds * 1000,
    log: s.log,
    onChange: () => s.holder.refresh(),
    onTick: (result) => {
      s.metrics.signerCreatedAt.clear();
      for (const [alg, created] of result.signerCreatedAt) s.metrics.signerCreatedAt.set(alg, created);
    },
    onError: failureLogger(s.log, 'scheduled key rotation failed'),
  });
}
