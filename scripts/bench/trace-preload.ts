// Loaded into our server by the benchmark only (NODE_OPTIONS=--import=<this
// file>, BENCH_TRACE_FILE=<path>); the server's code is unchanged. It writes
// one JSON line per event, with wall-clock milliseconds comparable to the load
// driver's, so latency spikes can be lined up with what the server did:
//   {"e":"gc","at":..,"ms":..,"kind":"major"}          every GC pause (perf_hooks)
//   {"e":"job","at":..,"ms":..,"job":"sweeper"}        each run of a periodic job (a
//        setInterval callback; `ms` is its synchronous part, the database work it starts
//        follows asynchronously), named after the file that started the interval
//   {"e":"loop","at":..,"lagMs":..,"elu":..}          every 100 ms: how late this timer
//        fired (event-loop blocking) and the event-loop utilisation since the last one
//   {"e":"db","at":..,"ms":..,"cmd":"find","coll":"tokens"}   each database command of
//        DB_TRACE_MIN_MS or longer, from the driver's command monitoring: what the database
//        was doing around a spike, including work started by timers the interval hook cannot
//        see (the sweeper chains setTimeout)

import { writeSync, openSync } from 'node:fs';
import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';

const file = process.env['BENCH_TRACE_FILE'];
if (file) {
  const fd = openSync(file, 'a');
  const wall = () => performance.timeOrigin + performance.now();
  let buffer: string[] = [];
  const emit = (event: Record<string, unknown>) => buffer.push(JSON.stringify(event));
  const flush = () => {
    if (!buffer.length) return;
    const text = `${buffer.join('\n')}\n`;
    buffer = [];
    writeSync(fd, text);
  };

  // Which job an interval belongs to, from where it was created (src/ file names).
  const JOBS: [RegExp, string][] = [
    [/store\/sweeper\.js/, 'sweeper'],
    [/limits\/rate-limiter\.js/, 'rate-limit flush'],
    [/store\/revocations\.js/, 'revocation sync'],
    [/src\/server\.js/, 'config refresh'],
    [/node_modules\/mongodb\//, 'mongodb driver'],
  ];
  const jobOf = (stack: string) => {
    for (const [re, name] of JOBS) if (re.test(stack)) return name;
    const frame = stack.split('\n').slice(2).find((l) => !l.includes('trace-preload'));
    return `other ${frame?.trim().replace(/^at /, '').slice(0, 80) ?? '?'}`;
  };

  const originalSetInterval = globalThis.setInterval;
  const patched = function setInterval(this: unknown, callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) {
    const job = jobOf(new Error().stack ?? '');
    const wrapped = (...a: unknown[]) => {
      const at = wall();
      try {
        callback(...a);
      } finally {
        emit({ e: 'job', at, ms: wall() - at, job });
      }
    };
    return originalSetInterval(wrapped, ms, ...args);
  };
  globalThis.setInterval = Object.assign(patched, originalSetInterval) as typeof globalThis.setInterval;

  // The server's own copy of the driver (same resolved path), so its clients are the ones watched.
  const { MongoClient } = await import('mongodb');
  const DB_TRACE_MIN_MS = 3;
  const connect = MongoClient.prototype.connect;
  MongoClient.prototype.connect = function traced(this: InstanceType<typeof MongoClient>) {
    const collections = new Map<number, string>();
    this.on('commandStarted', (e) => {
      // getMore names its collection apart; every other command by its own value.
      const target = e.commandName === 'getMore' ? e.command['collection'] : e.command[e.commandName];
      collections.set(e.requestId, typeof target === 'string' ? target : '');
    });
    const done = (e: { requestId: number; commandName: string; duration: number }, failed: boolean) => {
      const coll = collections.get(e.requestId) ?? '';
      collections.delete(e.requestId);
      if (e.duration >= DB_TRACE_MIN_MS) emit({ e: 'db', at: wall() - e.duration, ms: e.duration, cmd: e.commandName, coll, ...(failed ? { failed } : {}) });
    };
    this.on('commandSucceeded', (e) => done(e, false));
    this.on('commandFailed', (e) => done(e, true));
    return connect.call(this);
  } as typeof connect;

  const KINDS: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      emit({ e: 'gc', at: performance.timeOrigin + entry.startTime, ms: entry.duration, kind: KINDS[detail?.kind ?? -1] ?? 'other' });
    }
  }).observe({ entryTypes: ['gc'] });

  const TICK_MS = 100;
  let expected = wall() + TICK_MS;
  let elu = performance.eventLoopUtilization();
  const tick = originalSetInterval(() => {
    const now = wall();
    const next = performance.eventLoopUtilization();
    emit({ e: 'loop', at: now, lagMs: Math.max(0, now - expected), elu: performance.eventLoopUtilization(next, elu).utilization });
    elu = next;
    expected = now + TICK_MS;
    flush();
  }, TICK_MS);
  tick.unref();
  process.on('exit', flush);
}
