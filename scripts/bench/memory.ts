// `npm run bench:memory` (issue 5): issues 1,000,000 tokens, opaque and JWT
// half and half, against our server (same setup as `npm run bench`) and
// prints its RSS as it goes and at the end. Target: under 250 MB.
//
// Knobs: BENCH_MEMORY_TOKENS (1000000), BENCH_MEMORY_SECONDS (1200: stops
// there if the count is not reached; at about 2,000 tokens/s on 2 cores a
// million take 500-600 s, and issuance slows as the table grows, see
// README, Performance), BENCH_CLIENTS (1000 per format),
// BENCH_CONNECTIONS (64), BENCH_MEMORY_REPORT_SECONDS (15). Stops early if
// the server issues nothing for 30 s. Other BENCH_KEYFORGE_<VAR> go to the server as <VAR>.

import autocannon from 'autocannon';

import { setUpKeyforge, startKeyforge } from './keyforge.js';
import { REQUEST_TIMEOUT_S } from './load.js';
import { cleanupAll, installExitHandlers, makeTempDir, sleep } from './processes.js';
import { TARGETS } from './report.js';
import { readMemory, RssSampler } from './rss.js';
import { int, readSettings } from './settings.js';
import { FORM, TOKEN_BODY, pick } from './setup-http.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (kb: number | undefined) => (kb === undefined || !Number.isFinite(kb) ? 'n/a' : `${(kb / 1024).toFixed(0)} MB`);

async function main(): Promise<void> {
  installExitHandlers();
  const settings = readSettings();
  const tokens = int(process.env, 'BENCH_MEMORY_TOKENS', 1_000_000, 1);
  const seconds = int(process.env, 'BENCH_MEMORY_SECONDS', 1200, 1);
  const every = int(process.env, 'BENCH_MEMORY_REPORT_SECONDS', 15, 1);

  const tmp = await makeTempDir('keyforge-bench-memory');
  log(`memory: starting embedded database and node dist/src/main.js`);
  const server = await startKeyforge(tmp, log);
  log(`memory: registering ${settings.clients} opaque + ${settings.clients} JWT clients`);
  const clients = await setUpKeyforge(server, settings.clients);
  const pid = server.child.pid;
  const before = readMemory(pid);
  process.stdout.write(
    `\nkeyforge memory: ${tokens} tokens (half opaque, half JWT), ${settings.connections} connections, at most ${seconds} s\n` +
      `after setup: RSS ${mb(before?.rssKb)}\n\n` +
      `${'elapsed'.padStart(8)} | ${'issued'.padStart(9)} | ${'req/s'.padStart(6)} | ${'errors'.padStart(6)} | ${'RSS'.padStart(7)} | ${'peak'.padStart(7)}\n`,
  );

  const sampler = new RssSampler(pid).start();
  let ok = 0;
  let bad = 0;
  let n = 0;
  const started = performance.now();
  let lastOk = 0;
  let lastAt = started;
  const row = () => {
    const now = performance.now();
    const rate = ((ok - lastOk) * 1000) / (now - lastAt);
    lastOk = ok;
    lastAt = now;
    const m = sampler.read();
    process.stdout.write(
      `${`${((now - started) / 1000).toFixed(0)} s`.padStart(8)} | ${String(ok).padStart(9)} | ${rate.toFixed(0).padStart(6)} | ` +
        `${String(bad).padStart(6)} | ${`${m.lastMb.toFixed(0)} MB`.padStart(7)} | ${`${m.peakMb.toFixed(0)} MB`.padStart(7)}\n`,
    );
  };
  // No token for this long means the server stalled: stop rather than wait out the time bound.
  const stallSeconds = Math.max(30, 2 * every);
  let progressAt = performance.now();
  let progressOk = 0;
  let stalled = false;
  let instance: autocannon.Instance | undefined;
  const ticker = setInterval(() => {
    row();
    if (ok > progressOk) {
      progressOk = ok;
      progressAt = performance.now();
    } else if (performance.now() - progressAt > stallSeconds * 1000 && !stalled) {
      stalled = true;
      log(`memory: no token issued for ${stallSeconds} s, the server stalled; stopping the load`);
      instance?.stop();
    }
  }, every * 1000);

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: server.url,
        connections: settings.connections,
        duration: seconds,
        maxOverallRequests: tokens,
        timeout: REQUEST_TIMEOUT_S,
        requests: [
          {
            method: 'POST',
            path: '/token',
            headers: { 'content-type': FORM, accept: 'application/json' },
            body: TOKEN_BODY,
            setupRequest: (req) => {
              // Alternate formats so the count is split exactly in half.
              const client = pick(n++ % 2 === 0 ? clients.opaque : clients.jwt);
              // One address per client, as in the main bench: limits stay on, but see real spread.
              req.headers = { ...req.headers, authorization: client.basic, 'x-forwarded-for': client.address };
              return req;
            },
          },
        ],
        verifyBody: (body) => {
          const good = String(body).includes('"access_token"');
          if (good) ok++;
          else bad++;
          return good;
        },
      },
      (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
  });
  clearInterval(ticker);
  const loadSeconds = (performance.now() - started) / 1000;
  row();
  const loaded = sampler.read();
  await sleep(5_000);
  const settled = readMemory(pid);
  sampler.stop();

  const reached = ok >= tokens;
  const verdict = !reached
    ? `not evaluated: only ${ok} of ${tokens} tokens issued ${stalled ? `before the server stalled (no token for ${stallSeconds} s)` : `within ${seconds} s`}`
    : loaded.peakMb < TARGETS.rssMb
      ? 'met'
      : 'MISSED';
  process.stdout.write(
    `\nissued ${ok} tokens (${bad + result.errors} errors) in ${loadSeconds.toFixed(0)} s\n` +
      `server RSS at the end of the load: ${loaded.lastMb.toFixed(0)} MB; peak ${loaded.peakMb.toFixed(0)} MB (VmHWM ${loaded.hwmMb.toFixed(0)} MB); ` +
      `5 s later: ${mb(settled?.rssKb)}\n` +
      `target RSS < ${TARGETS.rssMb} MB after ${tokens} tokens: ${verdict}\n`,
  );
  await server.stop();
  await cleanupAll();
}

main().catch(async (err: unknown) => {
  log(`bench:memory failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await cleanupAll();
  process.exit(1);
});
