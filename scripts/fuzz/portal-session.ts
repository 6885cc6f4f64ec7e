// A portal session as a browser holds it: the session cookie from signing in through the
// form (whose CSRF token is bound to a short cookie), and the session's CSRF token read from
// a page.

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

function cookiesOf(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const i = pair!.indexOf('=');
    if (i > 0 && !/max-age=0/i.test(line)) out.set(pair!.slice(0, i), pair!.slice(i + 1));
  }
  return out;
}

export class PortalSession {
  constructor(readonly cookie: string, readonly csrf: string) {}

  /** The sign-in form: its cookie and the matching CSRF token. */
  static async signInForm(url: string): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`${url}/portal/sign-in`, { signal: AbortSignal.timeout(30_000) });
    const html = await res.text();
    const token = cookiesOf(res).get('kf_signin');
    if (res.status !== 200 || !token) throw new Error(`setup: GET /portal/sign-in answered ${res.status} without a sign-in cookie`);
    return { cookie: `kf_signin=${token}`, csrf: csrfOf(html) };
  }
}

export async function signIn(url: string, username: string, password: string): Promise<PortalSession> {
  const form = await PortalSession.signInForm(url);
  const res = await fetch(`${url}/portal/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: form.csrf, username, password }).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  const sid = cookiesOf(res).get('kf_session');
  if (res.status !== 303 || !sid) throw new Error(`setup: portal sign-in answered ${res.status} without a session`);
  const cookie = `kf_session=${sid}`;
  const page = await fetch(`${url}/portal/applications`, { headers: { cookie }, signal: AbortSignal.timeout(30_000) });
  const csrf = csrfOf(await page.text());
  if (page.status !== 200 || !csrf) throw new Error(`setup: the portal page after sign-in answered ${page.status} without a CSRF token`);
  return new PortalSession(cookie, csrf);
}
