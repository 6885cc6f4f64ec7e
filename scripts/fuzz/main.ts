// `npm run fuzz` (issue 9): a real server on a fresh database, flooded with generated
// requests, valid and hostile, across every endpoint; no 5xx allowed, and every token
// answered 200 must still introspect as active afterwards unless the fuzzer itself revoked
// it or changed its client.
//
// scripts/fuzz/ owns the fuzzer: the server under test (server.ts, over scripts/bench's
// process helpers), fixtures made through the API (fixtures.ts, portal-session.ts), what
// it knows and did (ledger.ts), request generators per endpoint group (*-requests.ts, with
// bodies.ts, request-kit.ts and random.ts), raw HTTP (http-client.ts), the post-check
// (post-check.ts) and the report (report.ts).
//
// Knobs: FUZZ_SEED (random unless set; printed), FUZZ_REQUESTS (100000), FUZZ_CONCURRENCY
// (16), FUZZ_SECONDS (600, a hard limit on the flood), FUZZ_TIMEOUT_MS (30000 per request).
// MONGODB_URI: use that server (a fresh database in it) instead of the embedded one.

import { randomInt } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { cleanupAll, installExitHandlers, makeTempDir } from '../bench/processes.js';
import { PROTECTED_API, PROTECTED_SCOPES, setUpFixtures, type Fixtures } from './fixtures.js';
import { nextRequest } from './generate.js';
import { HttpClient, NoAnswerError, type FuzzRequest } from './http-client.js';
import type { Violation } from './oauth-requests.js';
import { postCheck } from './post-check.js';
import { Rng } from './random.js';
import { describeAnswer, printFindings, Tally } from './report.js';
import { startServerUnderTest } from './server.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const log = (line: string) => process.stderr.write(`${line}\n`);

function intSetting(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${raw}`);
  return n;
}

/** Request line and headers as sent, roughly: past Node's 16 KB header limit the server may close at once. */
const requestHeadSize = (req: FuzzRequest) => req.path.length + req.headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);

/** One line of JSON per request left without an answer (FUZZ_RECORD), replayable by scripts/fuzz/replay.ts. */
type Recorder = (entry: Record<string, unknown>) => void;

// The fuzzer's own event loop: if it stalls, its timers fire before answers are read.
const loopDelay = monitorEventLoopDelay({ resolution: 20 });

async function flood(f: Fixtures, client: HttpClient, rng: Rng, tally: Tally, violations: Violation[], record: Recorder | undefined, o: {
  requests: number; concurrency: number; seconds: number; timeoutMs: number;
}): Promise<{ stoppedBy: string }> {
  const t0 = Date.now();
  const deadline = Date.now() + o.seconds * 1000;
  let issued = 0;
  let lastProgress = Date.now();
  const report = (v: Violation) => violations.push(v);
  const worker = async () => {
    while (issued < o.requests && Date.now() < deadline) {
      const index = issued++;
      const req = nextRequest(rng, f, report);
      const sentAt = Date.now() - t0;
      try {
        const answer = await client.send(req, o.timeoutMs);
        tally.count(req.group, String(answer.status));
        tally.observe(req, answer.status);
        if (answer.status >= 500) {
          tally.findings.push({ kind: '5xx', request: req, status: answer.status, answer: describeAnswer(answer) });
        }
        try {
          req.onAnswer?.(answer);
        } catch (err) {
          log(`fuzz: learning from an answer failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      } catch (err) {
        const view = err instanceof NoAnswerError ? err.view : undefined;
        // The server answered (its status line arrived) and then closed the connection while
        // the client was still sending or reading: Node's own 400 and 431 answers do that. An
        // answer, not a stall.
        if (view?.status !== undefined && view.code !== undefined) {
          tally.count(req.group, String(view.status));
          tally.observe(req, view.status);
          if (view.status >= 500) tally.findings.push({ kind: '5xx', request: req, status: view.status, answer: `  -> ${view.status}, then the connection broke: ${JSON.stringify(view)}` });
          continue;
        }
        // A server may refuse a huge request and close before reading it; the client then sees
        // the reset while still writing. That is a refusal, not a crash.
        const size = (req.body === undefined ? 0 : Buffer.byteLength(req.body)) + requestHeadSize(req);
        if (size > 16 * 1024 && (view?.code === 'ECONNRESET' || view?.code === 'EPIPE')) {
          tally.count(req.group, 'closed');
          continue;
        }
        tally.count(req.group, 'no answer');
        tally.findings.push({ kind: 'no answer', request: req, answer: `  -> ${err instanceof Error ? err.message : String(err)}${view ? ` ${JSON.stringify(view)}` : ''}` });
        // Is the whole server stuck, or only this request? A fresh connection says.
        const probeStart = Date.now();
        const probe = await fetch(`${f.url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then((r) => `${r.status}`, () => 'no answer');
        record?.({ index, sentAt, group: req.group, method: req.method, path: req.path, headers: req.headers, chunked: req.chunked ?? false,
          body: req.body === undefined ? null : (Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8')).toString('base64'),
          view, healthzAfter: `${probe} in ${Date.now() - probeStart} ms`, fuzzerLoopMaxMs: Math.round(loopDelay.max / 1e6) });
      }
      if (Date.now() - lastProgress > 15_000) {
        lastProgress = Date.now();
        log(`  ${tally.sent} requests, ${tally.serverErrors()} 5xx, ${f.ledger.tokens.length} tokens issued`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return { stoppedBy: issued >= o.requests ? 'request count' : `time limit (FUZZ_SECONDS=${o.seconds})` };
}

async function main(): Promise<number> {
  installExitHandlers();
  const seed = intSetting('FUZZ_SEED', randomInt(1, 2 ** 31), 0);
  const requests = intSetting('FUZZ_REQUESTS', 100_000, 1);
  const concurrency = intSetting('FUZZ_CONCURRENCY', 16, 1);
  const seconds = intSetting('FUZZ_SECONDS', 600, 1);
  const timeoutMs = intSetting('FUZZ_TIMEOUT_MS', 30_000, 100);

  const tmp = await makeTempDir('keyforge-fuzz');
  log('fuzz: starting the server and its database');
  const srv = await startServerUnderTest(tmp, log);
  out(`fuzz: seed ${seed} (FUZZ_SEED=${seed} replays the same choices), ${requests} requests, concurrency ${concurrency}, at most ${seconds} s`);
  out(`server: ${srv.url} (node dist/src/main.js), database: ${srv.database}`);
  out(`rate limits turned off for this run: ${srv.relaxed.join(', ')}`);

  const f = await setUpFixtures(srv);
  out(`fixtures: ${f.ledger.clients.length} clients (${f.ledger.protectedClients().length} protected), ${f.ledger.applications.length} applications, ` +
    `${f.routes.length} management routes from /api/openapi.json, ${f.spareSessions.length + 1} portal sessions, ${f.ledger.tokens.length} tokens`);

  const client = new HttpClient(srv.url, concurrency);
  const tally = new Tally();
  tally.watch = [...f.ledger.protectedClients().map((c) => c.id), PROTECTED_API, ...PROTECTED_SCOPES,
    ...f.ledger.applications.filter((a) => a.protected).map((a) => a.id)];
  tally.watchTokens = f.ledger.protectedTokens;
  const violations: Violation[] = [];
  const rng = new Rng(seed);
  const t0 = Date.now();
  const recordPath = process.env['FUZZ_RECORD'];
  if (recordPath) writeFileSync(recordPath, '');
  const record: Recorder | undefined = recordPath ? (entry) => appendFileSync(recordPath, `${JSON.stringify(entry)}\n`) : undefined;
  loopDelay.enable();
  const { stoppedBy } = await flood(f, client, rng, tally, violations, record, { requests, concurrency, seconds, timeoutMs });
  loopDelay.disable();
  const floodSeconds = (Date.now() - t0) / 1000;
  client.close();

  out(`\nflood: ${tally.sent} requests in ${floodSeconds.toFixed(1)} s (${(tally.sent / floodSeconds).toFixed(0)} req/s), stopped by ${stoppedBy}; ` +
    `the fuzzer's own event loop stalled at most ${(loopDelay.max / 1e6).toFixed(0)} ms`);
  out(`\ncounts by endpoint group and status:\n${tally.table()}`);

  const alive = await fetch(`${srv.url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, () => 0);
  out(`\nserver after the flood: /readyz ${alive || 'no answer'}${srv.child.exited ? ' (process exited!)' : ''}`);

  log('fuzz: post-check, introspecting every token answered 200');
  const check = await postCheck(f);
  out(`\npost-check: ${f.ledger.tokens.length} tokens answered 200; ${check.checked} introspected by their own client and held to active:true ` +
    `(${check.checkedProtected} of protected clients); excused: ${check.excused.revoked} named in a revocation by their owner or the admin, ` +
    `${check.excused.clientChanged} whose client or application the fuzzer changed, ${check.excused.otherApi} for APIs the fuzzer may change`);
  for (const failure of check.failures.slice(0, 50)) {
    const { token } = failure;
    out(`  NOT ACTIVE: token of ${token.owner.protected ? 'protected' : 'mutable'} client ${token.owner.id} (${token.via}, scope "${token.scope}", ` +
      `answered +${(((token.at ?? t0) - t0) / 1000).toFixed(1)} s) -> ${failure.status} ${failure.body}`);
    if (check.failures.indexOf(failure) >= 5) continue;
    out(`    the token: ${token.token.length > 60 ? `${token.token.slice(0, 60)}… (${token.token.length} chars)` : token.token}`);
    const client = await fetch(`${srv.url}/api/clients/${encodeURIComponent(token.owner.id)}`, { headers: { authorization: `Bearer ${f.adminTokens[0]!}` } })
      .then(async (r) => `${r.status} ${(await r.text()).slice(0, 600)}`, (err: unknown) => String(err));
    out(`    its client now: ${client}`);
    for (const [what, key] of [['requests that named this token', token.token], ['requests that named its client', token.owner.id]] as const) {
      const seen = tally.mentions.get(key) ?? [];
      out(`    ${what} (${seen.length}${seen.length >= 300 ? ', the first 300 kept' : ''}):${seen.length ? '' : ' none'}`);
      for (const line of seen.filter((l) => !/ -> (401|403|404|405|400|413|415|431) /.test(l) || key === token.token).slice(0, 60)) out(`      ${line}`);
    }
  }
  if (check.failures.length > 50) out(`  … and ${check.failures.length - 50} more`);
  if (check.failures.length) {
    const api = await fetch(`${srv.url}/api/apis/${encodeURIComponent(PROTECTED_API)}`, { headers: { authorization: `Bearer ${f.adminTokens[0]!}` } })
      .then(async (r) => `${r.status} ${(await r.text()).slice(0, 600)}`, (err: unknown) => String(err));
    out(`  the protected API now: ${api}`);
    out(`  successful changes that named something protected (${tally.touchedProtected.length}):\n    ${tally.touchedProtected.join('\n    ')}`);
  }

  const serverErrors = tally.serverErrors();
  if (tally.findings.length) {
    out(`\nfindings: ${serverErrors} 5xx, ${tally.noAnswers()} without an answer (at most 20 shown per kind of request):`);
    printFindings(tally.findings, out);
    if (tally.beforeFirst5xx) out(`\nthe last successful changes before the first 5xx:\n  ${tally.beforeFirst5xx.join('\n  ')}`);
    if (serverErrors) out(`\nlast server output:\n  ${srv.child.tail()}`);
  }
  for (const v of violations.slice(0, 20)) {
    out(`\n[rule broken] ${v.what}`);
    printFindings([{ kind: 'rule', request: v.request }], out);
    out(describeAnswer(v.answer));
  }

  const failed = serverErrors > 0 || tally.noAnswers() > 0 || check.failures.length > 0 || violations.length > 0 || alive !== 200;
  out(`\nresult: ${failed ? 'FAIL' : 'PASS'}: ${tally.sent} requests, ${serverErrors} 5xx, ${tally.noAnswers()} without an answer, ` +
    `${violations.length} broken rules, ${check.failures.length} tokens no longer active of ${check.checked} checked (seed ${seed})`);
  return failed ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanupAll();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    log(`fuzz: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    await cleanupAll();
    process.exit(2);
  });
