// POSTs GraphQL to ${baseUrl}/graphql and returns `data`, throwing classified errors (including errors inside a 200).
import { parseBody } from './body';
import { classifyFailure } from './classify';
import type { CloudflareHttp } from './http';
import { CloudflareError } from './types';

export interface GraphqlClient {
  /** Resolves with `data` (never null); any `errors` entry fails the whole call. */
  query(query: string, variables: Record<string, unknown>, operationName?: string): Promise<unknown>;
}

export function createGraphqlClient(http: CloudflareHttp): GraphqlClient {
  return {
    async query(query, variables, operationName) {
      const path = '/graphql';
      const operation = `${http.operation('POST', path)}${operationName ? ` (${operationName})` : ''}`;
      const answer = await http.send('POST', path, { query, variables, ...(operationName ? { operationName } : {}) });
      const parsed = parseBody(answer.body);
      const ok = answer.status >= 200 && answer.status < 300;
      const common = { answer, operation, redact: http.redact, graphql: true };
      if (parsed.shape === 'graphql') {
        // A partial answer with errors is not trusted: missing nodes would read as "no traffic".
        if (!ok || parsed.errors.length > 0) throw classifyFailure({ ...common, errors: parsed.errors });
        if (parsed.data === null || parsed.data === undefined) {
          throw new CloudflareError(
            'bad_response',
            `Cloudflare sent an unexpected response (HTTP ${answer.status}, data is null without errors) on ${operation}`,
            { httpStatus: answer.status, operation },
          );
        }
        return parsed.data;
      }
      // Auth and rate-limit failures in front of the GraphQL service come back as REST envelopes.
      if (parsed.shape === 'envelope' && !ok) throw classifyFailure({ ...common, errors: parsed.errors });
      const problem = parsed.shape === 'not_json' ? 'body is not JSON' : 'JSON is not a GraphQL response';
      const errors = parsed.shape === 'envelope' ? parsed.errors : [];
      throw classifyFailure({ ...common, errors, badBody: problem });
    },
  };
}
