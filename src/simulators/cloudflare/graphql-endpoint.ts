// Executes GraphQL requests with graphql-js against the schema subset, resolving the MT and dosd nodes from the traffic
// model (the dosd node sees only the samples dosd mitigated).
import {
  execute,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { groupSamples, timeBounds, type GroupRow } from './query-engine';
import { NODE_SPECS, type NodeSpec } from './schema';
import type { TrafficModel } from './traffic';

export interface GraphqlEndpointDeps {
  schema: GraphQLSchema;
  accountId: string;
  traffic: TrafficModel;
  clock: () => number;
  ingestDelayMs: number;
  maxPageSize: number;
}

export interface GraphqlAnswer {
  status: number;
  body: { data: unknown; errors: unknown[] | null };
}

/** Without a lower time bound the node reads this far back (the sim's stand-in for notOlderThan). */
const DEFAULT_LOOKBACK_MS = 24 * 3_600_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field names selected under `dimensions`, following fragments. */
function selectedDimensions(info: GraphQLResolveInfo, spec: NodeSpec): string[] {
  const names = new Set<string>();
  const walk = (set: SelectionSetNode | undefined, inDimensions: boolean) => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        if (inDimensions) names.add(sel.name.value);
        else if (sel.name.value === 'dimensions') walk(sel.selectionSet, true);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet, inDimensions);
      else walk(info.fragments[sel.name.value]?.selectionSet, inDimensions);
    }
  };
  info.fieldNodes.forEach((node: FieldNode) => walk(node.selectionSet, false));
  names.delete('__typename');
  return [...names].filter((n) => spec.dimensions.has(n));
}

function formatError(err: GraphQLError, atMs: number): Record<string, unknown> {
  return {
    message: err.message,
    ...(err.path ? { path: err.path.map(String) } : {}),
    extensions: { timestamp: new Date(atMs).toISOString() },
  };
}

export function createGraphqlEndpoint(deps: GraphqlEndpointDeps) {
  const settings = (spec: NodeSpec) => ({
    enabled: true,
    availableFields: [...spec.dimensions.keys()],
    maxDuration: 86_400 * 31,
    maxNumberOfFields: 30,
    maxPageSize: deps.maxPageSize,
    notOlderThan: 86_400 * 31,
  });

  function resolveGroups(args: Record<string, unknown>, info: GraphQLResolveInfo, spec: NodeSpec): GroupRow[] {
    const limit = Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > deps.maxPageSize) {
      throw new GraphQLError(`limit must be positive number and not greater than ${deps.maxPageSize}`);
    }
    const filter = isRecord(args.filter) ? args.filter : {};
    const visibleUntil = deps.clock() - deps.ingestDelayMs;
    const bounds = timeBounds(filter);
    let samples = deps.traffic.samples(
      { fromMs: bounds.fromMs ?? visibleUntil - DEFAULT_LOOKBACK_MS, toMs: bounds.toMs ?? Infinity },
      visibleUntil,
    );
    if (spec.name === 'dosdNetworkAnalyticsAdaptiveGroups')
      samples = samples.filter((x) => x.dims.mitigationSystem === 'dosd');
    const orderBy = Array.isArray(args.orderBy) ? args.orderBy.map(String) : [];
    return groupSamples(
      samples,
      { filter, limit, orderBy, dimensions: selectedDimensions(info, spec) },
      spec.dimensions,
    );
  }

  const account: Record<string, unknown> = {
    accountTag: deps.accountId,
    settings: () => Object.fromEntries(NODE_SPECS.map((spec) => [spec.name, settings(spec)])),
  };
  for (const spec of NODE_SPECS) {
    account[spec.name] = (args: Record<string, unknown>, _ctx: unknown, info: GraphQLResolveInfo) =>
      resolveGroups(args, info, spec);
  }

  const rootValue = {
    cost: 1,
    viewer: () => ({
      budget: 1_000_000,
      accounts: (args: { filter: { accountTag: string } }) => {
        if (args.filter.accountTag !== deps.accountId) throw new GraphQLError('not authorized for that account');
        return [account];
      },
    }),
  };

  /** Answers like the real endpoint: HTTP 200 with {data, errors}; parse and validation failures give data null. */
  async function run(body: unknown): Promise<GraphqlAnswer> {
    const now = deps.clock();
    const fail = (status: number, message: string): GraphqlAnswer => ({
      status,
      body: { data: null, errors: [formatError(new GraphQLError(message), now)] },
    });
    if (!isRecord(body) || typeof body.query !== 'string')
      return fail(400, 'request body must be JSON with a "query" string');
    const variables = body.variables === undefined || body.variables === null ? {} : body.variables;
    if (!isRecord(variables)) return fail(400, '"variables" must be an object');
    let document: DocumentNode;
    try {
      document = parse(body.query);
    } catch (err) {
      return fail(200, err instanceof GraphQLError ? err.message : 'error parsing query');
    }
    const invalid = validate(deps.schema, document);
    if (invalid.length > 0)
      return { status: 200, body: { data: null, errors: invalid.map((e) => formatError(e, now)) } };
    const result = await execute({
      schema: deps.schema,
      document,
      rootValue,
      variableValues: variables,
      operationName: typeof body.operationName === 'string' ? body.operationName : null,
    });
    const errors = result.errors?.map((e) => formatError(e, now)) ?? null;
    return { status: 200, body: { data: result.data ?? null, errors } };
  }

  return { run };
}

export type GraphqlEndpoint = ReturnType<typeof createGraphqlEndpoint>;
