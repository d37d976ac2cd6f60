// A whole outside world on loopback: Cloudflare and Telegram simulators, a prefix mapping and a SQLite file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, type AppConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import {
  startCloudflareSimulator,
  type CloudflareSimulator,
  type CloudflareSimulatorOptions,
} from '../../src/simulators/cloudflare';
import { startTelegramSimulator, type TelegramSimulator } from '../../src/simulators/telegram';

export const ACCOUNT_ID = '9035f53656c247e895c5a6939ae8a0e0';
export const CF_TOKEN = 'cf-test-token-7f3a9c2e5b1d';
export const TG_TOKEN = '987654321:AAtestTelegramBotSecretValue';
export const CHAT_ID = '-1001234567890';

export interface TestPrefix {
  cidr: string;
  description: string;
  parentPrefixId: string;
  bgpPrefixId: string;
  advertised: boolean;
  /** Locked at Cloudflare (on_demand_locked). */
  locked?: boolean;
  /** Locked by the operator in the mapping file. */
  configLocked?: boolean;
  advertisedModifiedAtMs?: number;
}

/** An advertised prefix under parent 'p' unless `more` says otherwise. */
export function testPrefix(
  cidr: string,
  description: string,
  bgpPrefixId: string,
  more: Partial<TestPrefix> = {},
): TestPrefix {
  return { cidr, description, parentPrefixId: 'p', bgpPrefixId, advertised: true, ...more };
}

export interface Fixture {
  dir: string;
  cf: CloudflareSimulator;
  tg: TelegramSimulator;
  databasePath: string;
  mappingPath: string;
  /** Environment a worker process needs to run against this fixture. */
  env: Record<string, string>;
  config: AppConfig;
  close(): Promise<void>;
}

export async function startFixture(opts: {
  prefixes: TestPrefix[];
  env?: Record<string, string>;
  cloudflare?: Omit<CloudflareSimulatorOptions, 'accountId' | 'token'>;
}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-'));
  const cf = await startCloudflareSimulator({ accountId: ACCOUNT_ID, token: CF_TOKEN, ...opts.cloudflare });
  const tg = await startTelegramSimulator({ token: TG_TOKEN, chats: [CHAT_ID] });
  for (const p of opts.prefixes) {
    cf.state.addPrefix({
      parentPrefixId: p.parentPrefixId,
      bgpPrefixId: p.bgpPrefixId,
      cidr: p.cidr,
      advertised: p.advertised,
      locked: p.locked ?? false,
      advertisedModifiedAtMs: p.advertisedModifiedAtMs,
    });
  }
  const mappingPath = join(dir, 'prefix_mapping.json');
  writeFileSync(
    mappingPath,
    JSON.stringify(
      Object.fromEntries(
        opts.prefixes.map((p) => [
          p.cidr,
          {
            parent_prefix_id: p.parentPrefixId,
            bgp_prefix_id: p.bgpPrefixId,
            description: p.description,
            ...(p.configLocked ? { locked: true } : {}),
          },
        ]),
      ),
      null,
      2,
    ),
  );
  const databasePath = join(dir, 'db', 'magic_transit.db');
  const env: Record<string, string> = {
    CLOUDFLARE_ACCOUNT_ID: ACCOUNT_ID,
    CLOUDFLARE_API_TOKEN: CF_TOKEN,
    CLOUDFLARE_API_BASE_URL: cf.baseUrl,
    TELEGRAM_BOT_TOKEN: TG_TOKEN,
    TELEGRAM_CHAT_ID: CHAT_ID,
    TELEGRAM_API_BASE_URL: tg.baseUrl,
    PREFIX_MAPPING_FILE: mappingPath,
    DATABASE_PATH: databasePath,
    CLOUDFLARE_TIMEOUT: '5s',
    TELEGRAM_TIMEOUT: '5s',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const config = loadConfig(env);
  return {
    dir,
    cf,
    tg,
    databasePath,
    mappingPath,
    env,
    config,
    async close() {
      await Promise.allSettled([cf.close(), tg.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A logger for in-process tests: warnings and errors only, kept in memory so tests can read them. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}
