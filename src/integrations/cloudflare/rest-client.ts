// CloudflareRestApi over the shared HTTP layer: BGP prefix list/get/PATCH and the credential check.
import { BgpPrefixShapeError, toBgpPrefix } from './bgp-prefix';
import { isRecord, parseBody } from './body';
import { classifyFailure } from './classify';
import type { CloudflareHttp } from './http';
import { CloudflareError, type BgpPrefix, type CloudflareRestApi } from './types';

interface EnvelopeResult {
  result: unknown;
  resultInfo: unknown;
}

const BODY_PROBLEM: Record<string, string> = {
  not_json: 'body is not JSON',
  empty: 'empty body',
  other_json: 'JSON is not a Cloudflare envelope',
  graphql: 'JSON is not a Cloudflare envelope',
};

/** One REST call: resolves with the envelope's result on success:true, throws a classified CloudflareError otherwise. */
export async function callEnvelope(
  http: CloudflareHttp,
  method: 'GET' | 'PATCH' | 'POST',
  path: string,
  body?: unknown,
): Promise<EnvelopeResult> {
  const operation = http.operation(method, path);
  const answer = await http.send(method, path, body);
  const parsed = parseBody(answer.body);
  const ok = answer.status >= 200 && answer.status < 300;
  if (parsed.shape === 'envelope') {
    if (ok && parsed.success) return { result: parsed.result, resultInfo: parsed.resultInfo };
    const problem = ok ? 'success:false in a 2xx answer' : undefined;
    throw classifyFailure({ answer, errors: parsed.errors, operation, redact: http.redact, badBody: problem });
  }
  const errors = parsed.shape === 'graphql' ? parsed.errors : [];
  throw classifyFailure({ answer, errors, operation, redact: http.redact, badBody: BODY_PROBLEM[parsed.shape] });
}

function badShape(http: CloudflareHttp, method: string, path: string, what: string): CloudflareError {
  const operation = http.operation(method, path);
  return new CloudflareError('bad_response', `Cloudflare sent an unexpected response (${what}) on ${operation}`, {
    operation,
  });
}

function mapPrefix(http: CloudflareHttp, method: string, path: string, raw: unknown): BgpPrefix {
  try {
    return toBgpPrefix(raw);
  } catch (err) {
    if (err instanceof BgpPrefixShapeError) throw badShape(http, method, path, http.redact(err.message));
    throw err;
  }
}

function seg(id: string): string {
  return encodeURIComponent(id);
}

export function createRestClient(http: CloudflareHttp, accountId: string): CloudflareRestApi {
  const prefixesPath = (parent: string) =>
    `/accounts/${seg(accountId)}/addressing/prefixes/${seg(parent)}/bgp/prefixes`;

  return {
    async listBgpPrefixes(parentPrefixId) {
      const path = prefixesPath(parentPrefixId);
      const { result } = await callEnvelope(http, 'GET', path);
      if (!Array.isArray(result)) throw badShape(http, 'GET', path, 'result is not a list');
      // The SDK treats this list as a single page; there is no pagination to follow.
      return result.map((raw) => mapPrefix(http, 'GET', path, raw));
    },

    async getBgpPrefix(parentPrefixId, bgpPrefixId) {
      const path = `${prefixesPath(parentPrefixId)}/${seg(bgpPrefixId)}`;
      const { result } = await callEnvelope(http, 'GET', path);
      return mapPrefix(http, 'GET', path, result);
    },

    async setAdvertised(parentPrefixId, bgpPrefixId, advertised) {
      const path = `${prefixesPath(parentPrefixId)}/${seg(bgpPrefixId)}`;
      const { result } = await callEnvelope(http, 'PATCH', path, { on_demand: { advertised } });
      return mapPrefix(http, 'PATCH', path, result);
    },

    async verifyCredentials() {
      if (http.authKind === 'token') {
        const path = '/user/tokens/verify';
        const { result } = await callEnvelope(http, 'GET', path);
        if (!isRecord(result)) throw badShape(http, 'GET', path, 'result is not an object');
        const status = typeof result.status === 'string' ? result.status : 'unknown';
        if (status !== 'active') {
          const operation = http.operation('GET', path);
          throw new CloudflareError('auth', `Cloudflare says the API token is ${status}, not active, on ${operation}`, {
            operation,
          });
        }
        const id = typeof result.id === 'string' ? ` ${result.id}` : '';
        const expires = typeof result.expires_on === 'string' ? `, expires ${result.expires_on}` : '';
        return { ok: true, detail: `API token${id} is active${expires}` };
      }
      const path = '/user';
      const { result } = await callEnvelope(http, 'GET', path);
      if (!isRecord(result)) throw badShape(http, 'GET', path, 'result is not an object');
      // The e-mail is a credential here, so the detail names the user id only.
      const id = typeof result.id === 'string' ? ` for user ${result.id}` : '';
      return { ok: true, detail: `Global API key accepted${id}` };
    },
  };
}
