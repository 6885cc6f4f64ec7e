// An Orders API that checks keyforge tokens (opaque or JWT) by RFC 7662 introspection with
// openid-client, as the API's resource-server client.
// Settings (environment): KEYFORGE_ISSUER, KEYFORGE_RS_CLIENT_ID, KEYFORGE_RS_CLIENT_SECRET, PORT.
import express from 'express';
import * as oidc from 'openid-client';

const issuer = new URL(process.env.KEYFORGE_ISSUER);
const keyforge = await oidc.discovery(
  issuer,
  process.env.KEYFORGE_RS_CLIENT_ID,
  process.env.KEYFORGE_RS_CLIENT_SECRET,
  oidc.ClientSecretBasic(process.env.KEYFORGE_RS_CLIENT_SECRET),
  // openid-client wants https; plain http only for a keyforge on this machine.
  issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
);

/** Lets a request through only with an active token that has every scope named. */
const requireToken = (...scopes) => async (req, res, next) => {
  const token = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
  if (!token) return res.set('WWW-Authenticate', 'Bearer').status(401).json({ error: 'unauthorized' });
  let claims;
  try {
    claims = await oidc.tokenIntrospection(keyforge, token);
  } catch (err) {
    // Wrong client credentials (401) or a client not linked to the API (403): never a pass.
    console.error(`introspection failed: ${err.status ?? ''} ${err.error ?? err.message}`);
    return res.set('Retry-After', '5').status(503).json({ error: 'temporarily_unavailable' });
  }
  // keyforge answers active: false for other APIs' tokens to an API's linked client.
  if (!claims.active) return res.set('WWW-Authenticate', 'Bearer error="invalid_token"').status(401).json({ error: 'invalid_token' });
  const granted = (claims.scope ?? '').split(' ');
  if (!scopes.every((s) => granted.includes(s))) {
    return res.set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"`).status(403).json({ error: 'insufficient_scope' });
  }
  req.token = claims;
  return next();
};

const app = express();
app.get('/orders', requireToken('orders:read'), (req, res) => res.json({ caller: req.token.client_id, orders: [] }));
app.get('/me', requireToken(), (req, res) => res.json({ caller: req.token.client_id }));
app.listen(Number(process.env.PORT ?? 4000), '127.0.0.1');
