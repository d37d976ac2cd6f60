// Names and types of the custom search attributes (shared by the workflows, the worker's start-up check and the CLI).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MT_PREFIX = defineSearchAttributeKey('MtPrefix', SearchAttributeType.KEYWORD);
export const MT_STATE = defineSearchAttributeKey('MtState', SearchAttributeType.KEYWORD);
export const MT_UNDER_ATTACK = defineSearchAttributeKey('MtUnderAttack', SearchAttributeType.BOOL);
export const MT_CALM_SINCE = defineSearchAttributeKey('MtCalmSince', SearchAttributeType.DATETIME);

/** Also listed in scripts/temporal-dev.mjs (a test keeps the two in step). */
export const MT_SEARCH_ATTRIBUTES = [MT_PREFIX, MT_STATE, MT_UNDER_ATTACK, MT_CALM_SINCE] as const;

/**
 * Ours that are absent from (or typed differently in) a namespace's registered custom attributes, as "Name=TYPE".
 * `registered` is ListSearchAttributes' customAttributes: name → IndexedValueType (enum number or name).
 */
export function missingSearchAttributes(registered: Record<string, unknown>): string[] {
  return MT_SEARCH_ATTRIBUTES.filter((k) => indexedTypeName(registered[k.name]) !== k.type).map(
    (k) => `${k.name}=${k.type}`,
  );
}

/** temporal.api.enums.v1.IndexedValueType, by number. */
const INDEXED_VALUE_TYPES = ['UNSPECIFIED', 'TEXT', 'KEYWORD', 'INT', 'DOUBLE', 'BOOL', 'DATETIME', 'KEYWORD_LIST'];

/** 2, "INDEXED_VALUE_TYPE_KEYWORD" and "KEYWORD" all name KEYWORD. */
export function indexedTypeName(v: unknown): string | undefined {
  if (typeof v === 'number') return INDEXED_VALUE_TYPES[v];
  if (typeof v === 'string') return v.replace(/^INDEXED_VALUE_TYPE_/, '');
  return undefined;
}
