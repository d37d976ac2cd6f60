// Tells the workflows whether they may upsert the custom search attributes: only when the namespace has them all.
import { Context } from '@temporalio/activity';
import { missingSearchAttributes } from '../workflows/search-attribute-keys';

/** Lists the namespace's custom attributes (name → indexed value type). */
export type ListSearchAttributes = (namespace: string) => Promise<Record<string, unknown>>;

const RECHECK_AFTER_MS = 5 * 60_000;

/** Through the activity's own client (same connection and namespace as the worker). */
const listThroughActivityClient: ListSearchAttributes = async (namespace) => {
  const res = await Context.current().client.connection.operatorService.listSearchAttributes({ namespace });
  return res.customAttributes ?? {};
};

/**
 * Upserting an unregistered attribute fails the workflow task over and over, so "no" is the answer to anything
 * but a positive listing. A positive answer is kept; a negative one is asked again after a few minutes (an operator
 * may register them meanwhile). Servers without the operator API (the time-skipping test server) answer "no".
 */
export function createSearchAttributeCheck(
  opts: { list?: ListSearchAttributes; now?: () => number } = {},
): (namespace: string) => Promise<boolean> {
  const list = opts.list ?? listThroughActivityClient;
  const now = opts.now ?? Date.now;
  const known = new Map<string, { ok: boolean; atMs: number }>();
  return async (namespace) => {
    const seen = known.get(namespace);
    if (seen && (seen.ok || now() - seen.atMs < RECHECK_AFTER_MS)) return seen.ok;
    let ok: boolean;
    try {
      ok = missingSearchAttributes(await list(namespace)).length === 0;
    } catch {
      ok = false;
    }
    known.set(namespace, { ok, atMs: now() });
    return ok;
  };
}
