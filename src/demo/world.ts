// The demo's outside world on loopback: Cloudflare (prefixes, scripted traffic) and Telegram, plus the files the
// worker and mtctl read (prefix mapping, env file). Restores Cloudflare's prefix state from the saved demo state.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCloudflareSimulator, type CloudflareSimulator } from '../simulators/cloudflare';
import { startTelegramSimulator, type RecordedMessage, type TelegramSimulator } from '../simulators/telegram';
import {
  DEMO_ACCOUNT,
  DEMO_ATTACKS,
  DEMO_DARK,
  DEMO_POLICY,
  DEMO_PREFIXES,
  DEMO_TIMING,
  prefixByKey,
} from './scenario';
import type { DemoState, SavedPrefix } from './state-file';

export interface DemoWorld {
  cf: CloudflareSimulator;
  tg: TelegramSimulator;
  envFile: string;
  /** Adds the incident's attacks and outage, timed from T0 (once per session). */
  playScenario(t0Ms: number): void;
  prefixes(): SavedPrefix[];
  close(): Promise<void>;
}

export function initialPrefixes(nowMs: number): SavedPrefix[] {
  return DEMO_PREFIXES.map((p) => ({
    bgpPrefixId: p.bgpPrefixId,
    advertised: p.advertised,
    locked: p.locked,
    // Cloudflare advertised the attacked prefixes moments ago, as their attacks were detected.
    advertisedModifiedAtMs: nowMs - 30_000,
  }));
}

export async function startDemoWorld(opts: {
  dir: string;
  state: DemoState;
  temporalAddress: string;
  metricsPort: number;
  onPatch: () => void;
  onMessage: (m: RecordedMessage) => void;
}): Promise<DemoWorld> {
  const cf = await startCloudflareSimulator({
    accountId: DEMO_ACCOUNT.accountId,
    token: DEMO_ACCOUNT.cloudflareToken,
    sampleIntervalMs: 1_000,
    readvertiseCooldownMs: DEMO_TIMING.cooldownMs,
    minAdvertisedMs: 0,
    onPatch: () => opts.onPatch(),
  });
  let tg: TelegramSimulator;
  try {
    tg = await startTelegramSimulator({
      token: DEMO_ACCOUNT.telegramToken,
      chats: [DEMO_ACCOUNT.chatId],
      onMessage: opts.onMessage,
    });
  } catch (err) {
    await cf.close();
    throw err;
  }
  for (const p of DEMO_PREFIXES) {
    const saved = opts.state.prefixes.find((s) => s.bgpPrefixId === p.bgpPrefixId);
    cf.state.addPrefix({
      parentPrefixId: p.parentPrefixId,
      bgpPrefixId: p.bgpPrefixId,
      cidr: p.cidr,
      advertised: saved?.advertised ?? p.advertised,
      locked: saved?.locked ?? p.locked,
      advertisedModifiedAtMs: saved?.advertisedModifiedAtMs ?? null,
    });
    // Passed traffic keeps the analytics answers fresh (an empty answer would be "unknown", not calm).
    const since = (opts.state.t0Ms ?? Date.now()) - 3_600_000;
    cf.traffic.addBackground(p.cidr, { startMs: since, packetsPerSecond: 2_000, bitsPerSecond: 1.6e7 });
  }

  const mapping = join(opts.dir, 'prefix_mapping.json');
  writeFileSync(
    mapping,
    `${JSON.stringify(
      Object.fromEntries(
        DEMO_PREFIXES.map((p) => [
          p.cidr,
          { parent_prefix_id: p.parentPrefixId, bgp_prefix_id: p.bgpPrefixId, description: p.description },
        ]),
      ),
      null,
      2,
    )}\n`,
  );
  const envFile = join(opts.dir, 'demo.env');
  const settings: Record<string, string> = {
    CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT.accountId,
    CLOUDFLARE_API_TOKEN: DEMO_ACCOUNT.cloudflareToken,
    CLOUDFLARE_API_BASE_URL: cf.baseUrl,
    TELEGRAM_BOT_TOKEN: DEMO_ACCOUNT.telegramToken,
    TELEGRAM_CHAT_ID: DEMO_ACCOUNT.chatId,
    TELEGRAM_API_BASE_URL: tg.baseUrl,
    PREFIX_MAPPING_FILE: mapping,
    DATABASE_PATH: join(opts.dir, 'magic_transit.db'),
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: DEMO_ACCOUNT.taskQueue,
    // No temporal.toml profile (TLS, API key) of this machine applies to the demo's own server.
    TEMPORAL_CONFIG_FILE: join(opts.dir, 'no-temporal-profile.toml'),
    ...DEMO_POLICY,
    SHADOW_MODE: '0',
    METRICS_PORT: String(opts.metricsPort),
    METRICS_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SERVER_NAME: 'demo',
    NOTIFY_FOOTER: 'mt-autowithdraw demo · loopback Cloudflare and Telegram',
  };
  writeFileSync(
    envFile,
    [
      '# Written by `npm run demo` at every start (ports change): the demo worker reads it, and so can mtctl:',
      `#   MTCTL_ENV_FILE=${envFile} npm run mtctl -- status`,
      '# Every value here is a loopback stand-in; no real account is involved.',
      ...Object.entries(settings).map(([k, v]) => `${k}=${v}`),
      '',
    ].join('\n'),
  );

  return {
    cf,
    tg,
    envFile,
    playScenario(t0Ms) {
      for (const a of DEMO_ATTACKS) {
        cf.traffic.addFlow({
          destination: prefixByKey(a.prefix).cidr,
          spread: a.spread,
          startMs: t0Ms + a.fromS * 1000,
          endMs: t0Ms + a.untilS * 1000,
          packetsPerSecond: a.packetsPerSecond,
          bitsPerSecond: a.bitsPerSecond,
          outcome: 'drop',
          mitigationSystem: a.mitigationSystem,
          label: `attack on ${a.prefix}`,
        });
      }
      for (const d of DEMO_DARK) {
        cf.traffic.addDarkPeriod({ fromMs: t0Ms + d.fromS * 1000, untilMs: t0Ms + d.untilS * 1000, mode: 'error' });
      }
    },
    prefixes: () =>
      cf.state.list().map((p) => ({
        bgpPrefixId: p.bgpPrefixId,
        advertised: p.advertised,
        locked: p.locked,
        advertisedModifiedAtMs: p.advertisedModifiedAtMs,
      })),
    close: async () => {
      await Promise.allSettled([cf.close(), tg.close()]);
    },
  };
}
