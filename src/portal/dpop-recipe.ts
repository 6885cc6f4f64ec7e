/**
 * The script the key panel shows for DPoP-bound keys: one key pair kept by the application,
 * a fresh proof per request (RFC 9449 §4), the nonce dance when the server asks for one (§8).
 */
export function dpopScript(consumerKey: string, tokenEndpoint: string): string {
  return `// dpop-token.mjs: CONSUMER_SECRET=... node dpop-token.mjs
import { generateKeyPair, exportJWK, SignJWT } from 'jose';
// Keep this key pair for as long as the token is used: the token only works with proofs it signs.
const { publicKey, privateKey } = await generateKeyPair('ES256');
const jwk = await exportJWK(publicKey);
const proof = (htm, htu, extra = {}) => new SignJWT({ htm, htu, jti: crypto.randomUUID(), ...extra })
  .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).setIssuedAt().sign(privateKey);
const ask = async (nonce) => fetch(${JSON.stringify(tokenEndpoint)}, {
  method: 'POST',
  headers: {
    DPoP: await proof('POST', ${JSON.stringify(tokenEndpoint)}, nonce ? { nonce } : {}),
    Authorization: 'Basic ' + btoa(${JSON.stringify(consumerKey)} + ':' + process.env.CONSUMER_SECRET),
    'Content-Type': 'application/x-www-form-urlencoded',
  },
  body: 'grant_type=client_credentials',
});
let res = await ask();
if (res.headers.get('dpop-nonce')) res = await ask(res.headers.get('dpop-nonce'));
const { access_token, token_type } = await res.json(); // token_type: DPoP
// An API call: Authorization: DPoP <token>, and a proof for that request with ath.
const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(access_token))).toString('base64url');
const api = 'https://api.example.com/orders';
console.log(await (await fetch(api, { headers: { Authorization: 'DPoP ' + access_token, DPoP: await proof('GET', api, { ath }) } })).text());`;
}
