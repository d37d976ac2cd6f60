// Builds everything activities need from the validated configuration: database, Cloudflare, Telegram, notifier.
import { resolve } from 'node:path';
import { createActivities, type Activities } from '../activities';
import { createPrefixRegistry, digestOf, type PrefixRegistry } from '../activities/prefix-registry';
import { ConfigError, policyFor, type AppConfig } from '../config';
import {
  createNetworkEventStore,
  createRecords,
  migrateDatabase,
  openDatabase,
  type DatabaseHandle,
  type NetworkEventStore,
} from '../db';
import type { Records } from '../db/types';
import {
  createCloudflareClient,
  createDroppedTrafficBatcher,
  type CloudflareClient,
  type DroppedTrafficBatcher,
} from '../integrations/cloudflare';
import { createGraphqlClient } from '../integrations/cloudflare/graphql-client';
import { createCloudflareHttp } from '../integrations/cloudflare/http';
import { createNetworkEventsApi, type NetworkEventsApi } from '../integrations/cloudflare/network-events-query';
import { createTelegramClient } from '../integrations/telegram';
import type { TelegramApi } from '../integrations/telegram/types';
import type { Logger } from '../logger';
import { createNotifier, type Notifier } from '../notifications/notifier';
import { renderNotification, splitForTelegram } from '../notifications/templates';
import type { ProtectionStatus } from '../workflows/types';

export interface Dependencies {
  config: AppConfig;
  database: DatabaseHandle;
  records: Records;
  registry: PrefixRegistry;
  cloudflare: CloudflareClient;
  droppedTraffic: DroppedTrafficBatcher;
  telegram: TelegramApi | null;
  notifier: Notifier;
  /** The network analytics monitor's reads (dosd node) and rows. */
  networkEvents: NetworkEventsApi;
  networkEventStore: NetworkEventStore;
  activities: Activities;
  close(): void;
}

export interface DependencyOptions {
  now?: () => number;
  /** Sees every prefix's published cycle status (metrics). */
  onCycle?: (status: ProtectionStatus) => void;
}

/** The configured CIDRs as one array per registry state: the batcher then reads the set once, not per call. */
function configuredCidrs(registry: PrefixRegistry): () => readonly string[] {
  let seen: ReturnType<PrefixRegistry['all']> | null = null;
  let cidrs: readonly string[] = [];
  return () => {
    const all = registry.all();
    if (all !== seen) {
      seen = all;
      cidrs = all.map((p) => p.identity.cidr);
    }
    return cidrs;
  };
}

/** Opens the records database; a path that cannot be used is a configuration error naming the setting and file. */
function openRecordsDatabase(path: string): DatabaseHandle {
  try {
    return openDatabase(path);
  } catch (err) {
    const where = resolve(path) === path ? path : `${path} (${resolve(path)})`;
    throw new ConfigError([`DATABASE_PATH=${where}: cannot open the records database: ${(err as Error).message}`]);
  }
}

export function buildDependencies(config: AppConfig, logger: Logger, opts: DependencyOptions = {}): Dependencies {
  const database = openRecordsDatabase(config.databasePath);
  try {
    const report = migrateDatabase(database);
    if (report.applied.length || report.addedColumns.length || report.adopted) {
      logger.info(
        {
          applied: report.applied,
          adopted: report.adopted,
          addedColumns: report.addedColumns.map((c) => `${c.table}.${c.column}`),
        },
        `database ${config.databasePath} migrated`,
      );
    }
    for (const w of report.warnings) logger.warn(`database: ${w}`);
  } catch (err) {
    database.close();
    throw err;
  }
  const records = createRecords(database, { now: opts.now });
  const registry = createPrefixRegistry(
    config.prefixes.map((entry) => {
      const identity = {
        cidr: entry.cidr,
        description: entry.description,
        parentPrefixId: entry.parentPrefixId,
        bgpPrefixId: entry.bgpPrefixId,
      };
      const policy = policyFor(config, entry);
      return {
        identity,
        policy,
        configLocked: entry.locked,
        shadow: config.shadow,
        digest: digestOf([identity, policy, entry.locked, config.shadow]),
      };
    }),
  );
  const cloudflare = createCloudflareClient({
    accountId: config.cloudflare.accountId,
    auth: config.cloudflare.auth,
    baseUrl: config.cloudflare.baseUrl,
    timeoutMs: config.cloudflare.timeoutMs,
    graphqlRowLimit: config.cloudflare.graphqlRowLimit,
  });
  const droppedTraffic = createDroppedTrafficBatcher(cloudflare, configuredCidrs(registry), {
    // One answer per cycle window; later cycles ask about a different window anyway. At least 10 s, so that when
    // short cycles run late (an overloaded worker) the stragglers share the answer instead of each asking again.
    cacheTtlMs: Math.max(config.policy.checkIntervalMs, 10_000),
    now: opts.now,
  });
  const telegram = config.telegram
    ? createTelegramClient({
        botToken: config.telegram.botToken,
        baseUrl: config.telegram.baseUrl,
        timeoutMs: config.telegram.timeoutMs,
      })
    : null;
  if (!telegram)
    logger.warn(
      'Telegram is not configured (TELEGRAM_BOT_TOKEN / TELEGRAM_CHAT_ID): notifications are recorded as skipped',
    );
  const notifier = createNotifier({
    records,
    telegram: telegram && config.telegram ? { api: telegram, chatId: config.telegram.chatId } : null,
    render: (n) => splitForTelegram(renderNotification(n, { footer: config.notifyFooter })),
    now: opts.now,
  });
  const networkEvents = createNetworkEventsApi(
    createGraphqlClient(
      createCloudflareHttp({
        baseUrl: config.cloudflare.baseUrl,
        auth: config.cloudflare.auth,
        timeoutMs: config.cloudflare.timeoutMs,
      }),
    ),
    { accountId: config.cloudflare.accountId, rowLimit: config.cloudflare.graphqlRowLimit },
  );
  const networkEventStore = createNetworkEventStore(database, { now: opts.now });
  const activities = createActivities({
    rest: cloudflare,
    registry,
    checkIntervalMs: config.policy.checkIntervalMs,
    checkCohorts: config.checkCohorts.count,
    droppedTraffic,
    records,
    notifier,
    onCycle: opts.onCycle,
    now: opts.now,
    networkEvents,
    networkEventStore,
    database,
    retention: config.retention,
  });
  return {
    config,
    database,
    records,
    registry,
    cloudflare,
    droppedTraffic,
    telegram,
    notifier,
    networkEvents,
    networkEventStore,
    activities,
    close: () => database.close(),
  };
}
