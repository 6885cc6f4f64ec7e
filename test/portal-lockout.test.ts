import { randomBytes } from 'node:crypto';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoginThrottle } from '../src/portal/login-throttle.js';
import { PortalUsers } from '../src/portal/index.js';
import { startTestServer, type TestServer } from './support/test-server.js';

// Attacks on the portal's sign-in lockout with parallel requests (review finding, issue 9 item 4).

const LIMIT = 3;
const CHECKS_AT_ONCE = 2;
const ENV = {
  ADMIN_USERNAME: 'root',
  ADMIN_PASSWORD: 'a-long-admin-password-for-tests',
  LOGIN_MAX_ATTEMPTS: String(LIMIT),
  LOGIN_LOCK_SECONDS: '120',
  LOGIN_CONCURRENT_CHECKS: String(CHECKS_AT_ONCE),
  // Lets one test play an attacker who varies the address it claims.
  TRUST_PROXY: 'true',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sign-in form as a browser holds it: the cookie-bound CSRF token and its cookie. */
interface Form {
  url: string;
  cookie: string;
  csrf: string;
}

async function openForm(url: string): Promise<Form> {
  const page = await request(url).get('/portal/sign-in');
  const set = (page.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]!);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!csrf) throw new Error('no CSRF token on the sign-in page');
  return { url, cookie: set.join('; '), csrf };
}

interface Answer {
  status: number;
  retryAfter: number;
  ms: number;
  text: string;
}

async function submit(form: Form, username: string, password: string, from?: string): Promise<Answer> {
  const started = Date.now();
  let req = request(form.url).post('/portal/sign-in').set('Cookie', form.cookie).type('form');
  if (from) req = req.set('X-Forwarded-For', from);
  const res = await req.send({ _csrf: form.csrf, username, password });
  return { status: res.status, retryAfter: Number(res.headers['retry-after'] ?? 0), ms: Date.now() - started, text: res.text };
}

describe('portal lockout against parallel sign-ins', () => {
  /** Four instances sharing one database, as behind a load balancer. */
  let servers: TestServer[] = [];

  beforeAll(async () => {
    const db = `t_lockout_${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 4; i++) servers.push(await startTestServer(ENV, db));
  });
  afterAll(async () => {
    const [first, ...rest] = servers;
    for (const s of rest) await s.stop();
    await first?.destroy();
    servers = [];
  });

  /** Passwords actually checked for a username: every check that fails leaves one audit entry. */
  async function passwordsChecked(username: string): Promise<number> {
    const audit = servers[0]!.store.db.collection('audit_log');
    const count = () => audit.countDocuments({
      actor: `user:${username}`,
      action: { $in: ['portal.sign_in_failed', 'portal.sign_in_locked'] },
    });
    // Audit entries are written beside the answer: wait until the count holds still.
    let last = await count();
    for (let i = 0; i < 20; i++) {
      await sleep(150);
      const now = await count();
      if (now === last) return now;
      last = now;
    }
    return last;
  }

  const user = (name: string, password: string) =>
    new PortalUsers(servers[0]!.store.db).create(name, password, 'developer');

  function expectRefusalsSayWhenToRetry(answers: Answer[]) {
    for (const a of answers) {
      expect([401, 429]).toContain(a.status);
      if (a.status !== 401) expect(a.retryAfter).toBeGreaterThan(0);
    }
  }

  it('checks at most LOGIN_MAX_ATTEMPTS passwords out of 8 sent at once to several instances', async () => {
    await user('alice', 'alice-password-1234');
    const forms = await Promise.all(Array.from({ length: 8 }, (_, i) => openForm(servers[i % 4]!.url)));
    const answers = await Promise.all(forms.map((f, i) => submit(f, 'alice', `wrong-guess-${i}`)));

    expectRefusalsSayWhenToRetry(answers);
    expect(await passwordsChecked('alice')).toBeLessThanOrEqual(LIMIT);
    expect(answers.filter((a) => a.status === 401).length).toBeLessThan(LIMIT);
    // The lock holds afterwards, for the right password too, at every instance.
    for (const s of servers) expect((await submit(await openForm(s.url), 'alice', 'alice-password-1234')).status).toBe(429);
  });

  it('does not sign in a correct password sent while a burst has used up the attempts', async () => {
    await user('bob', 'bob-password-12345');
    // One earlier failure: the next answers are slowed, which leaves a wide window in which
    // the burst's guesses are in flight but not yet checked.
    expect((await submit(await openForm(servers[0]!.url), 'bob', 'wrong-first')).status).toBe(401);

    // The burst goes to three instances, the correct password to the fourth.
    const forms = await Promise.all(servers.slice(0, 3).map((s) => openForm(s.url)));
    const right = await openForm(servers[3]!.url);
    const done: Answer[] = [];
    const burst = forms.map((f, i) => submit(f, 'bob', `wrong-burst-${i}`).then((a) => { done.push(a); return a; }));
    // Once the attempts are used up, the rest of the burst is refused at once; the correct
    // password goes in after that (or after 300 ms at most).
    const deadline = Date.now() + 300;
    while (done.length < forms.length - (LIMIT - 1) && Date.now() < deadline) await sleep(5);
    const signIn = await submit(right, 'bob', 'bob-password-12345');
    const answers = await Promise.all(burst);

    expect(signIn.status).toBe(429);
    expect(signIn.text).toContain('Too many failed sign-ins');
    expect(signIn.retryAfter).toBeGreaterThan(0);
    expectRefusalsSayWhenToRetry(answers);
    expect(await passwordsChecked('bob')).toBeLessThanOrEqual(LIMIT);
  });

  it('bounds password checks at once per instance: random usernames get 429 with Retry-After at once', async () => {
    const form = await openForm(servers[1]!.url);
    const answers = await Promise.all(Array.from({ length: 24 }, () =>
      submit(form, `nobody-${randomBytes(6).toString('hex')}`, 'some-password-guess')));

    const checked = answers.filter((a) => a.status === 401);
    const refused = answers.filter((a) => a.status !== 401);
    expectRefusalsSayWhenToRetry(answers);
    // Arrivals spread a little, so a few more than CHECKS_AT_ONCE may be checked in all.
    expect(checked.length).toBeGreaterThanOrEqual(1);
    expect(checked.length).toBeLessThanOrEqual(3 * CHECKS_AT_ONCE);
    expect(refused.every((a) => a.status === 429)).toBe(true);
    // The overflow is answered without waiting for a password check.
    const slowestChecked = Math.max(...checked.map((a) => a.ms));
    expect(refused.filter((a) => a.ms < slowestChecked).length).toBeGreaterThan(refused.length / 2);
  });

  it('checks one password at a time per username, whatever address the attempts claim', async () => {
    await user('carol', 'carol-password-123');
    const forms = await Promise.all(Array.from({ length: 8 }, () => openForm(servers[2]!.url)));
    // Each from its own address: no per-address counter holds them back.
    const answers = await Promise.all(forms.map((f, i) => submit(f, 'carol', `wrong-${i}`, `198.51.100.${i + 1}`)));

    expectRefusalsSayWhenToRetry(answers);
    const busy = answers.filter((a) => a.status === 429);
    expect(busy.length).toBeGreaterThanOrEqual(5);
    expect(await passwordsChecked('carol')).toBeLessThanOrEqual(3);
    // The account is not locked by refusals that checked nothing.
    expect((await submit(await openForm(servers[2]!.url), 'carol', 'carol-password-123', '198.51.100.77')).status).toBe(303);
  });

  it('grants exactly LOGIN_MAX_ATTEMPTS of 24 reservations made at once over four connections', async () => {
    // FerretDB v1 loses parallel $inc updates; the counter must not.
    const throttles = servers.map((s) => new LoginThrottle(s.store.db, { maxAttempts: LIMIT, lockSeconds: 120 }));
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => throttles[i % 4]!.reserve('dave', '192.0.2.1')));
    expect(results.filter((r) => r.granted)).toHaveLength(LIMIT);
    for (const r of results) if (!r.granted) expect(r.retryAfter).toBeGreaterThan(0);
  });
});
