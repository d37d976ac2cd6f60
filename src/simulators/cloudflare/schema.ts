// SDL subset of Cloudflare's GraphQL Analytics schema (the MT and dosd adaptive-groups nodes), generated from compact
// field tables that mirror the 2024-06 introspection dump: type names, custom scalars, argument names and nullability.
import { buildSchema, GraphQLError, Kind, type GraphQLScalarType, type GraphQLSchema, type ValueNode } from 'graphql';

export type DimensionScalar = 'string' | 'Date' | 'Time' | 'uint8' | 'uint16' | 'uint32';

/** Every dimension of AccountMagicTransitNetworkAnalyticsAdaptiveGroupsDimensions (86), by scalar type; all non-null. */
export const DIMENSIONS: Record<DimensionScalar, readonly string[]> = {
  string: [
    'applicationTag',
    'coloCity',
    'coloCode',
    'coloCountry',
    'coloGeohash',
    'coloName',
    'destinationAsnName',
    'destinationCountry',
    'destinationGeohash',
    'direction',
    'egressTunnelID',
    'egressTunnelName',
    'ingressTunnelID',
    'ingressTunnelName',
    'ipDestinationAddress',
    'ipDestinationSubnet',
    'ipProtocolName',
    'ipSourceAddress',
    'ipSourceSubnet',
    'ipv4Options',
    'ipv6ExtensionHeaders',
    'leaseTag',
    'mitigationSystem',
    'offRamp',
    'onRamp',
    'outcome',
    'prefixTag',
    'sourceAsnName',
    'sourceCountry',
    'sourceGeohash',
    'tcpFlagsString',
    'tcpOptions',
    'tcpSackBlocks',
  ],
  Date: ['date'],
  Time: [
    'datetime',
    'datetimeFifteenMinutes',
    'datetimeFiveMinutes',
    'datetimeHour',
    'datetimeMinute',
    'datetimeTenSeconds',
  ],
  uint32: [
    'destinationAsn',
    'greKey',
    'greSequenceNumber',
    'ipv6FlowLabel',
    'ipv6Identification',
    'sampleInterval',
    'sourceAsn',
    'tcpAcknowledgementNumber',
    'tcpSequenceNumber',
    'tcpTimestampEcr',
    'tcpTimestampValue',
  ],
  uint16: [
    'destinationPort',
    'ethertype',
    'greChecksum',
    'greEthertype',
    'greHeaderLength',
    'icmpChecksum',
    'ipFragmentOffset',
    'ipHeaderLength',
    'ipTotalLength',
    'ipTotalLengthBuckets',
    'ipv4Checksum',
    'ipv4Identification',
    'sourcePort',
    'tcpChecksum',
    'tcpDataOffset',
    'tcpMss',
    'tcpUrgentPointer',
    'tcpWindowScale',
    'tcpWindowSize',
    'udpChecksum',
    'udpPayloadLength',
  ],
  uint8: [
    'greVersion',
    'icmpCode',
    'icmpType',
    'ipMoreFragments',
    'ipProtocol',
    'ipTtl',
    'ipTtlBuckets',
    'ipv4DontFragment',
    'ipv4Dscp',
    'ipv4Ecn',
    'ipv6Dscp',
    'ipv6Ecn',
    'tcpFlags',
    'tcpSackPermitted',
  ],
};

/** Dimension name → scalar type. */
export const DIMENSION_TYPES: ReadonlyMap<string, DimensionScalar> = new Map(
  (Object.entries(DIMENSIONS) as [DimensionScalar, readonly string[]][]).flatMap(([t, names]) =>
    names.map((n) => [n, t] as const),
  ),
);

/** avg metrics: name → the seconds the sum is divided by. */
export const AVG_DIVISORS: Readonly<Record<string, number>> = {
  bitRate: 1,
  bitRateDay: 86_400,
  bitRateFifteenMinutes: 900,
  bitRateFiveMinutes: 300,
  bitRateHour: 3_600,
  bitRateMinute: 60,
  bitRateTenSeconds: 10,
  packetRate: 1,
  packetRateDay: 86_400,
  packetRateFifteenMinutes: 900,
  packetRateFiveMinutes: 300,
  packetRateHour: 3_600,
  packetRateMinute: 60,
  packetRateTenSeconds: 10,
};

export const SUM_FIELDS = ['bits', 'packets'] as const;

/** orderBy values the enum carries without a matching dimension in this snapshot. */
const ORDER_ONLY = ['destinationService', 'sourceService', 'system', 'verdict', 'visibility'];

export const STRING_FILTER_SUFFIXES = ['', '_geq', '_gt', '_in', '_leq', '_like', '_lt', '_neq', '_notin', '_notlike'];
export const OTHER_FILTER_SUFFIXES = ['', '_geq', '_gt', '_in', '_leq', '_lt', '_neq', '_notin'];

export const NODE = 'magicTransitNetworkAnalyticsAdaptiveGroups';
const T = 'AccountMagicTransitNetworkAnalyticsAdaptiveGroups';

/** The dosd node: the MT dimensions without tunnel, ramp and mitigationSystem fields, plus attack and rule fields. */
export const DOSD_NODE = 'dosdNetworkAnalyticsAdaptiveGroups';
const DOSD_T = 'AccountDosdNetworkAnalyticsAdaptiveGroups';
const DOSD_ONLY: ReadonlyArray<[string, DimensionScalar]> = [
  ['attackId', 'string'],
  ['attackVector', 'string'],
  ['mitigationReason', 'string'],
  ['mitigationScope', 'string'],
  ['protocolState', 'string'],
  ['ruleId', 'string'],
  ['ruleName', 'string'],
  ['rulesetId', 'string'],
  ['rulesetOverrideId', 'string'],
  ['verdict', 'string'],
];
const NOT_IN_DOSD = new Set([
  'egressTunnelID',
  'egressTunnelName',
  'ingressTunnelID',
  'ingressTunnelName',
  'mitigationSystem',
  'offRamp',
  'onRamp',
]);

/** Dimension name → scalar type of the dosd node. */
export const DOSD_DIMENSION_TYPES: ReadonlyMap<string, DimensionScalar> = new Map(
  [...[...DIMENSION_TYPES].filter(([n]) => !NOT_IN_DOSD.has(n)), ...DOSD_ONLY].sort(([a], [b]) => a.localeCompare(b)),
);

/** What the SDL generator and the resolvers need to know about one adaptive-groups node. */
export interface NodeSpec {
  name: string;
  typeName: string;
  dimensions: ReadonlyMap<string, DimensionScalar>;
  /** orderBy values without a matching dimension. */
  orderOnly: readonly string[];
}

export const MT_NODE_SPEC: NodeSpec = { name: NODE, typeName: T, dimensions: DIMENSION_TYPES, orderOnly: ORDER_ONLY };
export const DOSD_NODE_SPEC: NodeSpec = {
  name: DOSD_NODE,
  typeName: DOSD_T,
  dimensions: DOSD_DIMENSION_TYPES,
  orderOnly: ['system'],
};
export const NODE_SPECS: readonly NodeSpec[] = [MT_NODE_SPEC, DOSD_NODE_SPEC];

function filterFields(spec: NodeSpec): string[] {
  const t = spec.typeName;
  const fields = [`AND: [${t}Filter_InputObject!]`, `OR: [${t}Filter_InputObject!]`];
  for (const [name, type] of [...spec.dimensions].sort(([a], [b]) => a.localeCompare(b))) {
    const suffixes = type === 'string' ? STRING_FILTER_SUFFIXES : OTHER_FILTER_SUFFIXES;
    // The dump types uint8 list filters as the `bytes` scalar, not [uint8!].
    const list = type === 'uint8' ? 'bytes' : `[${type}!]`;
    for (const s of suffixes) fields.push(`${name}${s}: ${s === '_in' || s === '_notin' ? list : type}`);
  }
  return fields;
}

function orderByValues(spec: NodeSpec): string[] {
  const keys = [
    ...spec.dimensions.keys(),
    ...Object.keys(AVG_DIVISORS).map((k) => `avg_${k}`),
    ...SUM_FIELDS.map((k) => `sum_${k}`),
    ...spec.orderOnly,
  ].sort();
  return keys.flatMap((k) => [`${k}_ASC`, `${k}_DESC`]);
}

/** The group, avg, dimensions, sum, filter and orderBy types of one node. */
function nodeTypes(spec: NodeSpec): string {
  const t = spec.typeName;
  const dims = [...spec.dimensions].map(([n, ty]) => `  ${n}: ${ty}!`).join('\n');
  const avg = Object.keys(AVG_DIVISORS)
    .map((n) => `  ${n}: uint64!`)
    .join('\n');
  return `
type ${t} {
  avg: ${t}Avg
  dimensions: ${t}Dimensions
  sum: ${t}Sum
}

type ${t}Avg {
${avg}
}

type ${t}Dimensions {
${dims}
}

type ${t}Sum {
  bits: uint64!
  packets: uint64!
}

input ${t}Filter_InputObject {
${filterFields(spec)
  .map((f) => `  ${f}`)
  .join('\n')}
}

enum ${t}OrderBy {
${orderByValues(spec)
  .map((v) => `  ${v}`)
  .join('\n')}
}
`;
}

export function schemaSdl(): string {
  return `
scalar bool
scalar bytes
scalar Date
scalar int64
scalar string
scalar Time
scalar uint8
scalar uint16
scalar uint32
scalar uint64

type Query {
  cost: uint64!
  viewer: viewer
}

type viewer {
  accounts(filter: AccountFilter_InputObject!): [account!]!
  budget: uint64!
}

input AccountFilter_InputObject {
  accountTag: string!
}

type account {
  accountTag: string!
${NODE_SPECS.map((n) => `  ${n.name}(filter: ${n.typeName}Filter_InputObject!, limit: uint64!, orderBy: [${n.typeName}OrderBy!]): [${n.typeName}!]!`).join('\n')}
  settings: AccountSettings
}

type AccountSettings {
${NODE_SPECS.map((n) => `  ${n.name}: Settings!`).join('\n')}
}

type Settings {
  availableFields: [string!]!
  enabled: bool!
  maxDuration: int64!
  maxNumberOfFields: int64!
  maxPageSize: int64!
  notOlderThan: int64!
}
${NODE_SPECS.map(nodeTypes).join('')}`;
}

function literal(ast: ValueNode): unknown {
  if (ast.kind === Kind.STRING || ast.kind === Kind.ENUM) return ast.value;
  if (ast.kind === Kind.INT) return Number(ast.value);
  if (ast.kind === Kind.FLOAT) return Number(ast.value);
  if (ast.kind === Kind.BOOLEAN) return ast.value;
  if (ast.kind === Kind.LIST) return ast.values.map(literal);
  throw new GraphQLError(`unexpected literal of kind ${ast.kind}`);
}

function scalar(
  schema: GraphQLSchema,
  name: string,
  parse: (v: unknown) => unknown,
  serialize?: (v: unknown) => unknown,
) {
  const type = schema.getType(name) as GraphQLScalarType;
  type.parseValue = parse;
  type.parseLiteral = (ast) => parse(literal(ast));
  if (serialize) type.serialize = serialize;
}

function unsigned(name: string, max: bigint) {
  return (v: unknown): number => {
    const text = typeof v === 'number' || typeof v === 'string' ? String(v) : '';
    if (!/^\d+$/.test(text) || BigInt(text) > max)
      throw new GraphQLError(`${JSON.stringify(v)} is not a valid ${name}`);
    return Number(text);
  };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Builds the executable schema; uint64 values serialize as numbers, or as strings when asked (both occur upstream). */
export function buildAnalyticsSchema(opts: { uint64AsString?: boolean } = {}): GraphQLSchema {
  const schema = buildSchema(schemaSdl());
  scalar(schema, 'string', (v) => {
    if (typeof v !== 'string') throw new GraphQLError(`${JSON.stringify(v)} is not a string`);
    return v;
  });
  scalar(schema, 'Time', (v) => {
    if (typeof v !== 'string' || !RFC3339.test(v) || !Number.isFinite(Date.parse(v))) {
      throw new GraphQLError(`${JSON.stringify(v)} is not an RFC 3339 time`);
    }
    return v;
  });
  scalar(schema, 'Date', (v) => {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v))
      throw new GraphQLError(`${JSON.stringify(v)} is not a date`);
    return v;
  });
  scalar(schema, 'bool', (v) => {
    if (typeof v !== 'boolean') throw new GraphQLError(`${JSON.stringify(v)} is not a bool`);
    return v;
  });
  scalar(schema, 'uint8', unsigned('uint8', 0xffn));
  // bytes: a list of byte values (given as a JSON array, or a string whose characters are the bytes).
  scalar(schema, 'bytes', (v) => {
    const list = typeof v === 'string' ? [...v].map((c) => c.charCodeAt(0)) : v;
    if (!Array.isArray(list)) throw new GraphQLError(`${JSON.stringify(v)} is not bytes`);
    return list.map(unsigned('uint8', 0xffn));
  });
  scalar(schema, 'uint16', unsigned('uint16', 0xffffn));
  scalar(schema, 'uint32', unsigned('uint32', 0xffffffffn));
  scalar(schema, 'uint64', unsigned('uint64', 0xffffffffffffffffn), (v) =>
    opts.uint64AsString ? String(v) : typeof v === 'bigint' ? Number(v) : v,
  );
  scalar(schema, 'int64', (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new GraphQLError(`${JSON.stringify(v)} is not an int64`);
    return v;
  });
  return schema;
}
