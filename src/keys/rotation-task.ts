import type { Logger } from 'pino';

import { RotationSchedule, type RotationScheduleOptions, type TickResult } from './rotation-schedule.js';

export interface RotationTaskDeps extends RotationScheduleOptions {
  everyMs: number;
  log: Logger;
  /** After a rotation or removal: reload this instance's keys at once. */
  onChange: () => Promise<void>;
  onTick: (result: TickResult) => void;
  onError: (err: unknown) => void;
}

/** Runs the schedule on a timer in every instance; returns the function that stops it (after a run in progress). */
export function startRotationTask(d: RotationTaskDeps): () => Promise<void> {
  const schedule = new RotationSchedule(d);
  let running: Promise<void> | undefined;
  const run = async () => {
    if (running) return;
    running = once();
    await running;
  };
  const once = async () => {
    try {
      const result = await schedule.tick();
      for (const r of result.rotated) d.log.info({ alg: r.alg, kid: r.kid }, 'signing key rotated on schedule');
      for (const kid of result.removed) d.log.info({ kid }, 'retired signing key removed: no unexpired token it signed can remain');
      if (result.rotated.length || result.removed.length) await d.onChange();
      d.onTick(result);
    } catch (err) {
      d.onError(err);
    } finally {
      running = undefined;
    }
  };
  void run();
  const timer = setInterval(() => void run(), d.everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
