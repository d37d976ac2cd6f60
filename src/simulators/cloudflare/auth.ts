// Credential check of the simulator: Bearer token or X-Auth-Email + X-Auth-Key, answered with Cloudflare-style codes.
import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { SIM_ERRORS, type SimError } from './envelope';

export interface SimCredentials {
  token: string;
  email: string;
  apiKey: string;
}

export type AuthResult = { ok: true; kind: 'token' | 'key' } | { ok: false; error: SimError };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function checkAuth(headers: IncomingHttpHeaders, creds: SimCredentials): AuthResult {
  const authorization = one(headers.authorization);
  if (authorization !== undefined) {
    const m = /^Bearer (\S+)$/.exec(authorization);
    if (!m?.[1])
      return { ok: false, error: { status: 400, code: 6111, message: 'Invalid format for Authorization header' } };
    return same(m[1], creds.token) ? { ok: true, kind: 'token' } : { ok: false, error: SIM_ERRORS.badToken };
  }
  const email = one(headers['x-auth-email']);
  const key = one(headers['x-auth-key']);
  if (email === undefined && key === undefined) return { ok: false, error: SIM_ERRORS.missingAuth };
  if (email === undefined || key === undefined) {
    return { ok: false, error: { status: 400, code: 9106, message: 'Missing X-Auth-Key or X-Auth-Email header' } };
  }
  return same(email, creds.email) && same(key, creds.apiKey)
    ? { ok: true, kind: 'key' }
    : { ok: false, error: SIM_ERRORS.badKey };
}
