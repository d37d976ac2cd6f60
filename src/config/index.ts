// Application configuration: parsed and validated once from the environment and the mapping file, then frozen.
import { hostname } from 'node:os';
import { isValidCidr } from '../domain/cidr';
import { parseDuration } from '../domain/durations';
import type { ProtectionPolicy } from '../domain/types';
import { loadCheckCohorts, type CheckCohorts } from './check-cohorts';
import { ConfigError, loadPrefixMapping, type PrefixEntry } from './prefix-mapping';
import { secretValues } from './secrets';
import { loadWorkerTuning, type WorkerTuning } from './worker-tuning';

export {
  ConfigError,
  loadPrefixMapping,
  parsePrefixMapping,
  type PolicyOverrides,
  type PrefixEntry,
} from './prefix-mapping';
export { autoCacheSize, WORKER_TUNING_DEFAULTS, type WorkerTuning } from './worker-tuning';
export { autoCohorts, queriesPerFiveMinutes, type CheckCohorts } from './check-cohorts';

export type CloudflareAuth = { kind: 'token'; token: string } | { kind: 'key'; email: string; key: string };

export interface AppConfig {
  cloudflare: { accountId: string; auth: CloudflareAuth; baseUrl: string; timeoutMs: number; graphqlRowLimit: number };
  /** null when notifications are not configured (logged once at start). */
  telegram: { botToken: string; chatId: string; baseUrl: string; timeoutMs: number } | null;
  prefixMappingFile: string;
  prefixes: PrefixEntry[];
  /** Defaults every prefix inherits; per-prefix overrides come from the mapping file. */
  policy: ProtectionPolicy;
  /** CHECK_COHORTS: the prefixes' cycles spread over this many phase cohorts of the check interval. */
  checkCohorts: CheckCohorts;
  databasePath: string;
  taskQueue: string;
  logLevel: string;
  /** Prometheus endpoint (SDK + decision metrics); null when METRICS_PORT is unset. */
  metrics: { host: string; port: number } | null;
  notifyFooter: string;
  host: string;
  /** Shadow mode: everything runs, is recorded and notified as "would …", but nothing is ever PATCHed. */
  shadow: boolean;
  /** Webhook receiver (src/webhooks); secret is null when WEBHOOK_SECRET is unset (the receiver refuses to start). */
  webhook: WebhookSettings;
  /** Records retention; null keeps that table forever. */
  retention: { webhooksMs: number | null; attackEventsMs: number | null; networkEventsMs: number | null };
  /** Network analytics monitor schedule; intervalMs null disables it (the schedule is paused). */
  monitor: { intervalMs: number | null; lookbackMs: number };
  /** Temporal worker tuning (WORKER_*): cache size, task slots, pollers, sticky-queue timeout. */
  worker: WorkerTuning;
  /** Secret values, for redaction in logs and error texts. */
  secrets: string[];
}

export interface WebhookSettings {
  secret: string | null;
  host: string;
  port: number;
  path: string;
  maxBodyBytes: number;
  /** Proxies whose X-Forwarded-For is believed (addresses, CIDRs, or loopback/linklocal/uniquelocal); empty: none. */
  trustProxy: string[];
}

type Env = Record<string, string | undefined>;

export const DEFAULTS = {
  CLOUDFLARE_API_BASE_URL: 'https://api.cloudflare.com/client/v4',
  TELEGRAM_API_BASE_URL: 'https://api.telegram.org',
  PREFIX_MAPPING_FILE: 'config/prefix_mapping.json',
  DATABASE_PATH: 'db/magic_transit.db',
  TEMPORAL_TASK_QUEUE: 'mt-autowithdraw',
  METRICS_HOST: '127.0.0.1',
  CALM_PERIOD: '15m',
  CHECK_INTERVAL: '60s',
  CHECK_COHORTS: 'auto',
  ATTACK_LOOKBACK: '5m',
  READVERTISE_COOLDOWN: '15m',
  MIN_ADVERTISED_DURATION: '15m',
  TELEMETRY_LOST_ALERT_AFTER: '5m',
  TELEMETRY_MAX_AGE: '3m',
  MIN_DROPPED_PACKETS: '5000',
  MIN_DROPPED_BITS: '10000000',
  CLOUDFLARE_TIMEOUT: '15s',
  TELEGRAM_TIMEOUT: '10s',
  GRAPHQL_ROW_LIMIT: '10000',
  LOG_LEVEL: 'info',
  WEBHOOK_HOST: '127.0.0.1',
  WEBHOOK_PORT: '8080',
  WEBHOOK_PATH: '/webhook/cloudflare',
  WEBHOOK_MAX_BODY: '256kb',
  RETENTION_WEBHOOKS: '30d',
  RETENTION_ATTACK_EVENTS: '90d',
  RETENTION_NETWORK_EVENTS: 'off',
  MONITOR_INTERVAL: '5m',
  MONITOR_LOOKBACK: '15m',
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads everything the worker needs; throws one ConfigError naming every bad setting. */
export function loadConfig(env: Env = process.env, opts: { requireCloudflare?: boolean } = {}): AppConfig {
  const problems: string[] = [];
  const get = (name: keyof typeof DEFAULTS): string => nonEmpty(env[name]) ?? DEFAULTS[name];

  const duration = (name: keyof typeof DEFAULTS, min = 1): number => {
    try {
      const ms = parseDuration(get(name));
      if (ms < min) throw new Error(`must be at least ${min}ms`);
      return ms;
    } catch (err) {
      problems.push(`${name}=${get(name)}: ${(err as Error).message}`);
      return parseDuration(DEFAULTS[name]);
    }
  };
  const count = (name: keyof typeof DEFAULTS): number => {
    const raw = get(name);
    if (!/^\d+$/.test(raw.trim())) {
      problems.push(`${name}=${raw}: must be a whole number ≥ 0`);
      return Number(DEFAULTS[name]);
    }
    return Number(raw.trim());
  };
  const url = (name: keyof typeof DEFAULTS): string => {
    const raw = get(name).replace(/\/+$/, '');
    try {
      const u = new URL(raw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be http(s)');
      if (u.username || u.password) throw new Error('must not contain credentials');
    } catch (err) {
      // The message must not repeat credentials someone put into the URL.
      const shown = raw.replace(/\/\/[^/@]*@/, '//[redacted]@');
      problems.push(`${name}=${shown}: not a usable URL (${(err as Error).message})`);
    }
    return raw;
  };

  const accountId = nonEmpty(env.CLOUDFLARE_ACCOUNT_ID);
  const token = nonEmpty(env.CLOUDFLARE_API_TOKEN);
  const email = nonEmpty(env.CLOUDFLARE_EMAIL);
  const apiKey = nonEmpty(env.CLOUDFLARE_API_KEY);
  const requireCf = opts.requireCloudflare ?? true;
  let auth: CloudflareAuth = { kind: 'token', token: '' };
  if (token) auth = { kind: 'token', token };
  else if (email && apiKey) auth = { kind: 'key', email, key: apiKey };
  else if (requireCf) {
    problems.push(
      email || apiKey
        ? 'CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY must be set together (or set CLOUDFLARE_API_TOKEN instead)'
        : 'CLOUDFLARE_API_TOKEN is not set (or set CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY)',
    );
  }
  if (!accountId && requireCf) problems.push('CLOUDFLARE_ACCOUNT_ID is not set');
  else if (accountId && !/^[A-Za-z0-9]{1,32}$/.test(accountId)) {
    problems.push('CLOUDFLARE_ACCOUNT_ID must be a Cloudflare account ID (up to 32 letters and digits)');
  }

  const botToken = nonEmpty(env.TELEGRAM_BOT_TOKEN);
  const chatId = nonEmpty(env.TELEGRAM_CHAT_ID);
  if (Boolean(botToken) !== Boolean(chatId)) {
    problems.push(
      botToken
        ? 'TELEGRAM_CHAT_ID is not set (TELEGRAM_BOT_TOKEN is)'
        : 'TELEGRAM_BOT_TOKEN is not set (TELEGRAM_CHAT_ID is)',
    );
  }
  if (botToken && !/^\d+:[A-Za-z0-9_-]+$/.test(botToken))
    problems.push('TELEGRAM_BOT_TOKEN does not look like a bot token (<id>:<secret>)');
  if (chatId && !/^(-?\d+|@[A-Za-z0-9_]{5,})$/.test(chatId))
    problems.push(`TELEGRAM_CHAT_ID=${chatId}: must be a numeric chat id or @channelname`);

  const policy: ProtectionPolicy = {
    calmPeriodMs: duration('CALM_PERIOD'),
    checkIntervalMs: duration('CHECK_INTERVAL', 100),
    lookbackMs: duration('ATTACK_LOOKBACK', 1000),
    readvertiseCooldownMs: duration('READVERTISE_COOLDOWN', 0),
    minAdvertisedMs: duration('MIN_ADVERTISED_DURATION', 0),
    telemetryLostAlertMs: duration('TELEMETRY_LOST_ALERT_AFTER', 0),
    maxDataAgeMs: duration('TELEMETRY_MAX_AGE', 1000),
    minDroppedPackets: count('MIN_DROPPED_PACKETS'),
    minDroppedBits: count('MIN_DROPPED_BITS'),
  };
  const cloudflareTimeout = duration('CLOUDFLARE_TIMEOUT', 100);
  const telegramTimeout = duration('TELEGRAM_TIMEOUT', 100);
  const rowLimit = count('GRAPHQL_ROW_LIMIT');
  if (rowLimit < 1) problems.push('GRAPHQL_ROW_LIMIT must be at least 1');
  const cfBase = url('CLOUDFLARE_API_BASE_URL');
  const tgBase = url('TELEGRAM_API_BASE_URL');
  const logLevel = get('LOG_LEVEL').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL=${logLevel}: must be one of ${LOG_LEVELS.join(', ')}`);
  const taskQueue = get('TEMPORAL_TASK_QUEUE');
  const metricsPort = nonEmpty(env.METRICS_PORT);
  const metricsPortNumber = metricsPort !== undefined && /^\d+$/.test(metricsPort) ? Number(metricsPort) : NaN;
  if (metricsPort !== undefined && !(metricsPortNumber >= 1 && metricsPortNumber <= 65_535))
    problems.push(`METRICS_PORT=${metricsPort}: must be a port number from 1 to 65535 (unset turns metrics off)`);
  const metrics = metricsPort === undefined ? null : { host: get('METRICS_HOST'), port: metricsPortNumber };
  const shadowRaw = (env.SHADOW_MODE ?? '').trim().toLowerCase();
  if (!['', '0', '1', 'true', 'false', 'yes', 'no'].includes(shadowRaw))
    problems.push(`SHADOW_MODE=${shadowRaw}: must be 1/true/yes or 0/false/no`);
  const shadow = ['1', 'true', 'yes'].includes(shadowRaw);

  const webhook = webhookSettings(env, get, problems);
  /** A duration, or null for off/0 (keep forever, or disabled). */
  const optionalDuration = (name: keyof typeof DEFAULTS, min: number): number | null => {
    const raw = get(name).trim().toLowerCase();
    if (raw === 'off' || raw === '0') return null;
    return duration(name, min);
  };
  const retention = {
    webhooksMs: optionalDuration('RETENTION_WEBHOOKS', 3_600_000),
    attackEventsMs: optionalDuration('RETENTION_ATTACK_EVENTS', 3_600_000),
    networkEventsMs: optionalDuration('RETENTION_NETWORK_EVENTS', 3_600_000),
  };
  const monitor = {
    intervalMs: optionalDuration('MONITOR_INTERVAL', 60_000),
    lookbackMs: duration('MONITOR_LOOKBACK', 60_000),
  };

  const mappingFile = get('PREFIX_MAPPING_FILE');
  let prefixes: PrefixEntry[] = [];
  try {
    prefixes = loadPrefixMapping(mappingFile);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }

  const checkCohorts = loadCheckCohorts(get('CHECK_COHORTS'), prefixes.length, policy.checkIntervalMs, problems);

  // ---- worker tuning (its own module: src/config/worker-tuning.ts) ----
  const worker = loadWorkerTuning(env, prefixes.length, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  // Ours and the Temporal credentials envconfig reads (API key, TLS client key): for redaction everywhere.
  const secrets = secretValues(env);
  return deepFreeze({
    cloudflare: {
      accountId: accountId ?? '',
      auth,
      baseUrl: cfBase,
      timeoutMs: cloudflareTimeout,
      graphqlRowLimit: rowLimit,
    },
    telegram: botToken && chatId ? { botToken, chatId, baseUrl: tgBase, timeoutMs: telegramTimeout } : null,
    prefixMappingFile: mappingFile,
    prefixes,
    policy,
    checkCohorts,
    databasePath: get('DATABASE_PATH'),
    taskQueue,
    logLevel,
    metrics,
    notifyFooter: nonEmpty(env.NOTIFY_FOOTER) ?? 'mt-autowithdraw · Cloudflare Magic Transit',
    host: nonEmpty(env.SERVER_NAME) ?? hostname(),
    shadow,
    webhook,
    retention,
    monitor,
    worker,
    secrets,
  });
}

const SIZE = /^(\d+)\s*(b|kb|k|mb|m)?$/i;
const SIZE_UNIT: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1_048_576, mb: 1_048_576 };
const PROXY_KEYWORDS = ['loopback', 'linklocal', 'uniquelocal'];

/** WEBHOOK_* settings; the secret is optional here (only the receiver needs it, and it says so at start). */
function webhookSettings(env: Env, get: (name: keyof typeof DEFAULTS) => string, problems: string[]): WebhookSettings {
  const port = Number(get('WEBHOOK_PORT').trim());
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push(`WEBHOOK_PORT=${get('WEBHOOK_PORT')}: must be a port number from 0 to 65535`);
  const size = SIZE.exec(get('WEBHOOK_MAX_BODY').trim());
  const maxBodyBytes = size ? Number(size[1]) * (SIZE_UNIT[(size[2] ?? 'b').toLowerCase()] ?? 1) : 0;
  if (!size || maxBodyBytes < 1024 || maxBodyBytes > 16 * 1_048_576)
    problems.push(`WEBHOOK_MAX_BODY=${get('WEBHOOK_MAX_BODY')}: must be a size from 1kb to 16mb (e.g. 256kb)`);
  const path = get('WEBHOOK_PATH');
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(path))
    problems.push(`WEBHOOK_PATH=${path}: must be a URL path such as /webhook/cloudflare`);
  const trustProxy = (env.WEBHOOK_TRUST_PROXY ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const t of trustProxy) {
    if (
      !PROXY_KEYWORDS.includes(t.toLowerCase()) &&
      !isValidCidr(t.includes('/') ? t : `${t}/${t.includes(':') ? 128 : 32}`)
    )
      problems.push(`WEBHOOK_TRUST_PROXY: ${t} is not an address, a CIDR, or one of ${PROXY_KEYWORDS.join(', ')}`);
  }
  return {
    secret: nonEmpty(env.WEBHOOK_SECRET) ?? null,
    host: get('WEBHOOK_HOST'),
    port: Number.isInteger(port) ? port : 0,
    path,
    maxBodyBytes,
    trustProxy,
  };
}

/** The effective policy of one prefix: defaults plus the mapping file's overrides. */
export function policyFor(config: Pick<AppConfig, 'policy'>, entry: PrefixEntry): ProtectionPolicy {
  return { ...config.policy, ...entry.overrides };
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
