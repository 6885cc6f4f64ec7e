// An Orders API that checks keyforge JWTs (RFC 9068) with Auth0's express-oauth2-jwt-bearer.
// Settings (environment): KEYFORGE_ISSUER, KEYFORGE_AUDIENCE (the API identifier),
// KEYFORGE_SIGNING_ALG (the API's signing_alg in keyforge), PORT.
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';

const app = express();
app.use(auth({
  issuerBaseURL: process.env.KEYFORGE_ISSUER, // discovery, JWKS and the iss check
  audience: process.env.KEYFORGE_AUDIENCE,
  // Pins the API's signing_alg. Without it, any algorithm keyforge's metadata lists is accepted.
  tokenSigningAlg: process.env.KEYFORGE_SIGNING_ALG,
  // RFC 9068 profile: typ at+jwt and the claims iss, sub, aud, exp, iat, jti, client_id, all of which keyforge sets.
  strict: true,
}));

// keyforge's scope claim is a space-separated string, which requiredScopes reads.
app.get('/orders', requiredScopes('orders:read'), (req, res) => {
  res.json({ caller: req.auth.payload.client_id, orders: [] });
});
app.get('/me', (req, res) => res.json({ caller: req.auth.payload.client_id }));

// The library's errors carry their status and RFC 6750 challenge.
app.use((err, _req, res, _next) => {
  if (err.headers) res.set(err.headers);
  res.status(err.status ?? 500).json({ error: err.code ?? 'server_error' });
});

app.listen(Number(process.env.PORT ?? 4000), '127.0.0.1');
