import request from 'supertest';

import { ADMIN_SECRET, DCR_TOKEN } from './test-server.js';

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
}

/** client_credentials with client_secret_basic; returns the raw supertest response. */
export function tokenRequest(url: string, id: string, secret: string, params: Record<string, string> = {}) {
  return request(url)
    .post('/token')
    .set('Authorization', basic(id, secret))
    .type('form')
    .send({ grant_type: 'client_credentials', ...params });
}

export async function adminToken(url: string, issuer: string): Promise<string> {
  const res = await tokenRequest(url, 'admin', ADMIN_SECRET, { resource: `${issuer}/api`, scope: 'admin' });
  if (res.status !== 200) throw new Error(`admin token: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as TokenResponse).access_token;
}

export async function createApi(url: string, admin: string, body: Record<string, unknown>) {
  const res = await request(url).post('/api/apis').set('Authorization', `Bearer ${admin}`).send(body);
  if (res.status !== 201) throw new Error(`create api: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { identifier: string };
}

export interface RegisteredClient {
  client_id: string;
  client_secret: string;
  registration_access_token: string;
  registration_client_uri: string;
  [key: string]: unknown;
}

export async function registerClient(url: string, metadata: Record<string, unknown>): Promise<RegisteredClient> {
  const res = await request(url).post('/reg').set('Authorization', `Bearer ${DCR_TOKEN}`).send(metadata);
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as RegisteredClient;
}

export function introspect(url: string, id: string, secret: string, token: string) {
  return request(url).post('/token/introspection').set('Authorization', basic(id, secret)).type('form').send({ token });
}

export function revoke(url: string, id: string, secret: string, token: string) {
  return request(url).post('/token/revocation').set('Authorization', basic(id, secret)).type('form').send({ token });
}
