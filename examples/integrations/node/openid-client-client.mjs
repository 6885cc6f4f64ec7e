// Gets a keyforge token with openid-client's client-credentials grant and calls the Orders API.
// Settings (environment): KEYFORGE_ISSUER, KEYFORGE_CLIENT_ID, KEYFORGE_CLIENT_SECRET,
// KEYFORGE_SCOPE (space-separated), ORDERS_URL.
import * as oidc from 'openid-client';

const issuer = new URL(process.env.KEYFORGE_ISSUER);
const keyforge = await oidc.discovery(
  issuer,
  process.env.KEYFORGE_CLIENT_ID,
  process.env.KEYFORGE_CLIENT_SECRET,
  undefined, // client_secret_post, which keyforge accepts as well as client_secret_basic
  issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
);

// keyforge finds the API from the scopes; an application of several APIs must name them.
const scope = process.env.KEYFORGE_SCOPE;
const { access_token: token } = await oidc.clientCredentialsGrant(keyforge, scope ? { scope } : {});

const res = await fetch(process.env.ORDERS_URL, { headers: { authorization: `Bearer ${token}` } });
console.log(res.status, await res.text());
process.exitCode = res.ok ? 0 : 1;
