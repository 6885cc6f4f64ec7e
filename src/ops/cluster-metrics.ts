import cluster, { type Worker } from 'node:cluster';

import { AggregatorRegistry, type Registry } from 'prom-client';

import { HttpError } from '../http/index.js';

/**
 * Metrics of all workers as one. With WORKERS > 1 each scrape reaches whichever worker the
 * connection landed on, and each worker only knows its own counts, so a scrape would see one
 * worker's counters, then another's. Instead a worker answering /metrics asks the primary,
 * which collects every worker's metrics and sums them (prom-client's aggregation rules), so
 * every scrape sees the whole process group and counters only go up.
 */

const READY = 'keyforge:metrics-ready'; // worker → primary: it answers COLLECT from now on
const ASK = 'keyforge:metrics-ask'; // worker → primary: the group's exposition, please
const ANSWER = 'keyforge:metrics-answer'; // primary → worker
const COLLECT = 'keyforge:metrics-collect'; // primary → every worker
const REPORT = 'keyforge:metrics-report'; // worker → primary

/** A worker that does not report in time contributes its last report instead. */
const COLLECT_TIMEOUT_MS = 1000;
/** Bounds a scrape even if the primary is stuck. */
const ASK_TIMEOUT_MS = 3000;

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

interface Message {
  type?: unknown;
  id?: unknown;
  text?: unknown;
  error?: unknown;
  metrics?: unknown;
}

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null;

/** Only cumulative metrics still mean something once their worker is gone. */
const cumulative = (metrics: MetricsJson): MetricsJson =>
  metrics.filter((m) => (String(m.type) === 'counter' || String(m.type) === 'histogram') && m.aggregator === 'sum');

/**
 * Primary side; call once before forking. Keeps each worker's last report, and folds the
 * counters of a worker that exits into a baseline, so a restarted worker starting from zero
 * does not make the group's counters go down.
 */
export function serveClusterMetrics(): void {
  const ready = new Set<number>();
  const last = new Map<number, MetricsJson>();
  let retired: MetricsJson = [];
  const waiting = new Map<string, (metrics: MetricsJson) => void>();
  let round = 0;
  let collecting: Promise<string> | undefined;

  const reportFrom = (worker: Worker, r: number): Promise<void> => new Promise((done) => {
    const key = `${r}:${worker.id}`;
    const timer = setTimeout(() => {
      waiting.delete(key);
      done();
    }, COLLECT_TIMEOUT_MS);
    waiting.set(key, (metrics) => {
      clearTimeout(timer);
      waiting.delete(key);
      last.set(worker.id, metrics);
      done();
    });
    try {
      worker.send({ type: COLLECT, id: r });
    } catch {
      // Its channel closed under us: it is exiting, and its last report stands in.
    }
  });

  const collect = async (): Promise<string> => {
    const r = ++round;
    const workers = Object.values(cluster.workers ?? {})
      .filter((w): w is Worker => !!w && ready.has(w.id) && w.isConnected());
    await Promise.all(workers.map((w) => reportFrom(w, r)));
    return AggregatorRegistry.aggregate([...last.values(), retired]).metrics();
  };

  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === READY) ready.add(worker.id);
    else if (message.type === REPORT && Array.isArray(message.metrics)) {
      waiting.get(`${String(message.id)}:${worker.id}`)?.(message.metrics as MetricsJson);
    } else if (message.type === ASK) {
      // Scrapes that arrive together share one collection round.
      collecting ??= collect().finally(() => {
        collecting = undefined;
      });
      collecting.then(
        (text) => worker.isConnected() && worker.send({ type: ANSWER, id: message.id, text }),
        (err: unknown) => worker.isConnected() && worker.send({ type: ANSWER, id: message.id, error: String(err) }),
      );
    }
  });

  cluster.on('exit', (worker) => {
    ready.delete(worker.id);
    const final = last.get(worker.id);
    last.delete(worker.id);
    if (!final) return;
    void AggregatorRegistry.aggregate([retired, cumulative(final)]).getMetricsAsJSON().then((merged) => {
      retired = merged;
    });
  });
}

/** Worker side: report this worker's registry when the primary collects. */
export function joinClusterMetrics(registry: Registry): void {
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === COLLECT) {
      void registry.getMetricsAsJSON().then((metrics) => send({ type: REPORT, id: message.id, metrics }));
    } else if (message.type === ANSWER && typeof message.id === 'number') {
      asking.get(message.id)?.(message);
    }
  });
  send({ type: READY });
}

function send(message: Message): void {
  // Once the primary is gone there is nobody to tell; shutdown is under way.
  if (process.connected) process.send?.(message);
}

const asking = new Map<number, (answer: Message) => void>();
let asked = 0;

/** Worker side (after joinClusterMetrics): the whole group's exposition, from the primary. */
export function askPrimaryForMetrics(): Promise<string> {
  const id = ++asked;
  const unavailable = (why: string) => new HttpError(503, 'metrics_unavailable', `metrics of all workers: ${why}`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      asking.delete(id);
      reject(unavailable('the primary process did not answer'));
    }, ASK_TIMEOUT_MS);
    asking.set(id, (answer) => {
      clearTimeout(timer);
      asking.delete(id);
      if (typeof answer.text === 'string') resolve(answer.text);
      else reject(unavailable(String(answer.error)));
    });
    send({ type: ASK, id });
  });
}
