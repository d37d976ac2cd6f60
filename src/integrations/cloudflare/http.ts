// The one got instance that talks to Cloudflare: auth headers, timeouts, optional retries, transport error mapping.
import got, { HTTPError, RequestError, TimeoutError, type Got, type Method } from 'got';
import { CloudflareError } from './types';
import { createRedactor, type Redactor } from './redact';

export type CloudflareAuth = { kind: 'token'; token: string } | { kind: 'key'; email: string; key: string };

export interface CloudflareHttpOptions {
  /** e.g. https://api.cloudflare.com/client/v4 (a trailing slash is tolerated). */
  baseUrl: string;
  auth: CloudflareAuth;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** got retries for CLI use; default 0 because Temporal owns retries in the worker. */
  retries?: number;
  userAgent?: string;
}

/** Any HTTP answer, whatever its status: classification is the caller's job. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface CloudflareHttp {
  /** Sends one request (JSON body when given). Rejects only with CloudflareError kind timeout or network. */
  send(method: 'GET' | 'PATCH' | 'POST', path: string, json?: unknown): Promise<HttpAnswer>;
  /** "PATCH /accounts/…" style label, without host or credentials. */
  operation(method: string, path: string): string;
  readonly redact: Redactor;
  readonly authKind: CloudflareAuth['kind'];
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_USER_AGENT = 'mt-autowithdraw (+cloudflare-client)';

function authHeaders(auth: CloudflareAuth): Record<string, string> {
  if (auth.kind === 'token') return { authorization: `Bearer ${auth.token}` };
  return { 'x-auth-email': auth.email, 'x-auth-key': auth.key };
}

function secretsOf(auth: CloudflareAuth): string[] {
  return auth.kind === 'token' ? [auth.token] : [auth.email, auth.key];
}

function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

export function createCloudflareHttp(opts: CloudflareHttpOptions): CloudflareHttp {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const redact = createRedactor(secretsOf(opts.auth));
  const retries = opts.retries ?? 0;

  const client: Got = got.extend({
    headers: {
      ...authHeaders(opts.auth),
      'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT,
      accept: 'application/json',
    },
    timeout: { request: timeoutMs },
    responseType: 'text',
    // HTTP errors stay exceptions so got's retry (CLI only) sees them; send() turns them back into answers.
    throwHttpErrors: true,
    followRedirect: false,
    retry: {
      limit: retries,
      // Every call we make is idempotent: reads, a GraphQL read, and PATCH to an absolute state.
      methods: ['GET', 'PATCH', 'POST'],
      statusCodes: [408, 429, 500, 502, 503, 504, 520, 521, 522, 524],
      maxRetryAfter: 60_000,
      enforceRetryRules: true,
      // A person is waiting at the CLI: short backoff (250 ms, 500 ms, 1 s...), unless Retry-After says otherwise.
      calculateDelay: ({ attemptCount, retryAfter }) => retryAfter ?? Math.min(250 * 2 ** (attemptCount - 1), 4_000),
    },
  });

  const operation = (method: string, path: string): string => redact(`${method} ${pathOnly(path)}`);

  async function send(method: 'GET' | 'PATCH' | 'POST', path: string, json?: unknown): Promise<HttpAnswer> {
    const url = `${base}${path.startsWith('/') ? path : `/${path}`}`;
    try {
      const res = await client(url, { method: method as Method, ...(json === undefined ? {} : { json }) });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      if (err instanceof HTTPError) {
        const res = err.response;
        return { status: res.statusCode, headers: res.headers, body: typeof res.body === 'string' ? res.body : '' };
      }
      // The got error carries request options (headers included), so it is never attached as a cause.
      const op = operation(method, path);
      if (err instanceof TimeoutError) {
        throw new CloudflareError('timeout', `No answer from Cloudflare within ${timeoutMs} ms on ${op}`, {
          operation: op,
        });
      }
      if (err instanceof RequestError) {
        const code = err.code || 'connection error';
        throw new CloudflareError('network', `Could not reach Cloudflare (${redact(code)}) on ${op}`, {
          operation: op,
        });
      }
      throw new CloudflareError('network', `Could not reach Cloudflare (unexpected client failure) on ${op}`, {
        operation: op,
      });
    }
  }

  return { send, operation, redact, authKind: opts.auth.kind };
}
