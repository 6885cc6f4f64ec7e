// The same Orders API with keyforge's own kit, @keyforge/resource-server (Koa), for comparison:
// JWTs are checked locally (typ, iss, aud, algorithm allow-list, revocations through the
// revocation feed), opaque tokens by introspection; both with the resource-server client.
// Settings (environment): KEYFORGE_ISSUER, KEYFORGE_AUDIENCE, KEYFORGE_RS_CLIENT_ID, KEYFORGE_RS_CLIENT_SECRET, PORT.
import Router from '@koa/router';
import Koa from 'koa';
import { requireToken } from '@keyforge/resource-server';

const auth = {
  issuer: process.env.KEYFORGE_ISSUER,
  audience: process.env.KEYFORGE_AUDIENCE,
  clientId: process.env.KEYFORGE_RS_CLIENT_ID,
  clientSecret: process.env.KEYFORGE_RS_CLIENT_SECRET,
};
const router = new Router();
router.get('/orders', requireToken({ ...auth, scopes: ['orders:read'] }), (ctx) => {
  ctx.body = { caller: ctx.state.token.clientId, orders: [] };
});
router.get('/me', requireToken(auth), (ctx) => { ctx.body = { caller: ctx.state.token.clientId }; });
new Koa().use(router.routes()).listen(Number(process.env.PORT ?? 4000), '127.0.0.1');
