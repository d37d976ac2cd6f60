// Custom search attributes shown in the Temporal Web UI; checked (and registered where allowed) at start-up.
import type { OperatorService } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { indexedTypeName, missingSearchAttributes, MT_SEARCH_ATTRIBUTES } from '../workflows/search-attribute-keys';
import type { StartupContext } from './startup';

/** temporal.api.enums.v1.IndexedValueType numbers for the types we use. */
const INDEXED_TYPE: Record<string, number> = {
  [SearchAttributeType.TEXT]: 1,
  [SearchAttributeType.KEYWORD]: 2,
  [SearchAttributeType.INT]: 3,
  [SearchAttributeType.DOUBLE]: 4,
  [SearchAttributeType.BOOL]: 5,
  [SearchAttributeType.DATETIME]: 6,
  [SearchAttributeType.KEYWORD_LIST]: 7,
};

export interface SearchAttributeReport {
  /** The workflows may upsert them: every one is registered with the right type. */
  ready: boolean;
  /** Registered by this call. */
  added: string[];
  /** Still missing (or typed differently), as "Name=TYPE". */
  missing: string[];
  /** Why they could not be listed or added, if so. */
  error: string | null;
}

/**
 * Lists the namespace's custom attributes and adds ours where missing. The dev server and self-hosted servers allow
 * it; Temporal Cloud does not through this API (add them with tcld or the Cloud UI). An attribute registered with
 * another type is reported, never changed.
 */
export async function checkSearchAttributes(
  operator: OperatorService,
  namespace: string,
  opts: { register?: boolean } = {},
): Promise<SearchAttributeReport> {
  const list = async (): Promise<Record<string, unknown>> =>
    (await operator.listSearchAttributes({ namespace })).customAttributes ?? {};
  let registered: Record<string, unknown>;
  try {
    registered = await list();
  } catch (err) {
    return { ready: false, added: [], missing: allNames(), error: `cannot list search attributes: ${message(err)}` };
  }
  const absent = MT_SEARCH_ATTRIBUTES.filter((k) => registered[k.name] === undefined);
  let error: string | null = null;
  if (absent.length > 0 && opts.register !== false) {
    try {
      await operator.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(absent.map((k) => [k.name, INDEXED_TYPE[k.type] as number])),
      });
      registered = await list();
    } catch (err) {
      error = `cannot add search attributes: ${message(err)}`;
    }
  }
  const missing = missingSearchAttributes(registered);
  const wrongType = MT_SEARCH_ATTRIBUTES.filter(
    (k) => registered[k.name] !== undefined && indexedTypeName(registered[k.name]) !== k.type,
  );
  if (wrongType.length > 0 && error === null)
    error = `registered with another type: ${wrongType.map((k) => `${k.name}=${indexedTypeName(registered[k.name])}`).join(', ')}`;
  return {
    ready: missing.length === 0,
    added:
      opts.register === false
        ? []
        : absent.map((k) => k.name).filter((n) => !missing.some((m) => m.startsWith(`${n}=`))),
    missing,
    error,
  };
}

/** Returns whether the workflows may upsert the custom search attributes. */
export async function ensureSearchAttributes(ctx: StartupContext): Promise<boolean> {
  const report = await checkSearchAttributes(ctx.client.connection.operatorService, ctx.namespace);
  if (report.added.length > 0)
    ctx.logger.info({ added: report.added, namespace: ctx.namespace }, 'search attributes registered');
  if (!report.ready)
    ctx.logger.warn(
      { missing: report.missing, namespace: ctx.namespace },
      `search attributes not available (${report.error ?? 'missing'}): the Web UI shows no MtPrefix/MtState columns; ` +
        `register them with: ${registerCommand(ctx.namespace, report.missing)}`,
    );
  return report.ready;
}

/** The Temporal CLI command that registers the given "Name=TYPE" attributes. */
export function registerCommand(namespace: string, missing: string[]): string {
  const cliType = (t: string): string =>
    t === 'KEYWORD_LIST' ? 'KeywordList' : `${t.charAt(0)}${t.slice(1).toLowerCase()}`;
  return `temporal operator search-attribute create --namespace ${namespace} ${missing
    .map((m) => {
      const [name = '', type = ''] = m.split('=');
      return `--name ${name} --type ${cliType(type)}`;
    })
    .join(' ')}`;
}

function allNames(): string[] {
  return MT_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${k.type}`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
