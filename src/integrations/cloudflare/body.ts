// Recognises the two JSON shapes Cloudflare answers with: the REST envelope and the GraphQL {data, errors} body.
import type { CloudflareMessage } from './types';

export type ParsedBody =
  | {
      shape: 'envelope';
      success: boolean;
      errors: CloudflareMessage[];
      messages: CloudflareMessage[];
      result: unknown;
      resultInfo: unknown;
    }
  | { shape: 'graphql'; data: unknown; errors: CloudflareMessage[] }
  | { shape: 'other_json'; value: unknown }
  | { shape: 'not_json' }
  | { shape: 'empty' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MAX_MESSAGE = 500;

/** One errors[]/messages[] item; GraphQL errors have no code, so they get code 0. */
function toMessage(item: unknown): CloudflareMessage {
  if (!isRecord(item)) return { code: 0, message: String(item).slice(0, MAX_MESSAGE) };
  const code = typeof item.code === 'number' && Number.isFinite(item.code) ? item.code : 0;
  const message = typeof item.message === 'string' ? item.message : JSON.stringify(item);
  return { code, message: message.slice(0, MAX_MESSAGE) };
}

function toMessages(v: unknown): CloudflareMessage[] {
  return Array.isArray(v) ? v.map(toMessage) : [];
}

export function parseBody(text: string): ParsedBody {
  if (text.trim() === '') return { shape: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { shape: 'not_json' };
  }
  if (isRecord(value) && typeof value.success === 'boolean') {
    return {
      shape: 'envelope',
      success: value.success,
      errors: toMessages(value.errors),
      messages: toMessages(value.messages),
      result: value.result,
      resultInfo: value.result_info,
    };
  }
  if (isRecord(value) && ('data' in value || 'errors' in value)) {
    return { shape: 'graphql', data: value.data, errors: toMessages(value.errors) };
  }
  return { shape: 'other_json', value };
}

export { isRecord };
