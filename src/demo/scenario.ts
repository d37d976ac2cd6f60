// The demo's scripted incident: five prefixes, their attacks and an analytics outage, in seconds from the start (T0).

export type DemoRole = 'attacked' | 'locked' | 'standby';

export interface DemoPrefix {
  key: string;
  cidr: string;
  description: string;
  parentPrefixId: string;
  bgpPrefixId: string;
  /** Advertised at Cloudflare when the demo begins (Cloudflare advertised it as the attack began). */
  advertised: boolean;
  /** on_demand_locked at Cloudflare: never changed, whatever happens. */
  locked: boolean;
  role: DemoRole;
  /** What to watch for, in one line. */
  story: string;
}

export interface DemoAttack {
  prefix: string;
  fromS: number;
  untilS: number;
  packetsPerSecond: number;
  bitsPerSecond: number;
  mitigationSystem: 'dosd' | 'flowtrackd';
  spread: number;
}

export interface DemoDark {
  fromS: number;
  untilS: number;
}

/** Short periods so the whole life of a protected prefix plays out in under two minutes. */
export const DEMO_POLICY = {
  CHECK_INTERVAL: '2s',
  CALM_PERIOD: '20s',
  ATTACK_LOOKBACK: '6s',
  READVERTISE_COOLDOWN: '10s',
  MIN_ADVERTISED_DURATION: '0s',
  TELEMETRY_LOST_ALERT_AFTER: '6s',
  // The freshness probe has minute granularity (like the real dataset): a stale answer is one older than that.
  TELEMETRY_MAX_AGE: '2m',
  MIN_DROPPED_PACKETS: '20000',
  MIN_DROPPED_BITS: '100000000',
} as const;

export const DEMO_TIMING = { checkMs: 2_000, calmMs: 20_000, lookbackMs: 6_000, cooldownMs: 10_000 } as const;

export const DEMO_ACCOUNT = {
  accountId: '0de0de0de0de0de0de0de0de0de0de00',
  cloudflareToken: 'demo-loopback-cloudflare-token-0001',
  telegramToken: '123456789:demoLoopbackTelegramBotToken',
  chatId: '-1001000000001',
  taskQueue: 'mt-autowithdraw-demo',
} as const;

export const DEMO_PREFIXES: readonly DemoPrefix[] = [
  {
    key: 'shop',
    cidr: '203.0.113.0/24',
    description: 'Web shop',
    parentPrefixId: 'demo-v4-parent',
    bgpPrefixId: 'demo-bgp-shop',
    advertised: true,
    locked: false,
    role: 'attacked',
    story: 'a long attack that outlasts the analytics outage: it stays "under attack" while the data is unknown',
  },
  {
    key: 'api',
    cidr: '2001:db8:a::/48',
    description: 'API (IPv6)',
    parentPrefixId: 'demo-v6-parent',
    bgpPrefixId: 'demo-bgp-api',
    advertised: true,
    locked: false,
    role: 'attacked',
    story: 'attacked twice: the second attack restarts its calm timer; withdrawn once, after the second',
  },
  {
    key: 'mail',
    cidr: '2001:db8:b::/48',
    description: 'Mail (IPv6)',
    parentPrefixId: 'demo-v6-parent',
    bgpPrefixId: 'demo-bgp-mail',
    advertised: true,
    locked: false,
    role: 'attacked',
    story: 'calm when the analytics go dark: its calm timer freezes instead of counting unknown as calm',
  },
  {
    key: 'core',
    cidr: '198.51.100.0/24',
    description: 'Core routers',
    parentPrefixId: 'demo-v4-parent',
    bgpPrefixId: 'demo-bgp-core',
    advertised: true,
    locked: true,
    role: 'locked',
    story: 'locked at Cloudflare: measured, calm, and never changed',
  },
  {
    key: 'lab',
    cidr: '192.0.2.0/24',
    description: 'Lab',
    parentPrefixId: 'demo-v4-parent',
    bgpPrefixId: 'demo-bgp-lab',
    advertised: false,
    locked: false,
    role: 'standby',
    story: 'not advertised: nothing to protect, nothing to do',
  },
];

const HEAVY = { packetsPerSecond: 150_000, bitsPerSecond: 1.2e9, spread: 16 };

export const DEMO_ATTACKS: readonly DemoAttack[] = [
  { prefix: 'shop', fromS: 2, untilS: 46, mitigationSystem: 'dosd', ...HEAVY },
  { prefix: 'api', fromS: 2, untilS: 8, mitigationSystem: 'flowtrackd', ...HEAVY },
  { prefix: 'api', fromS: 54, untilS: 62, mitigationSystem: 'dosd', ...HEAVY },
  { prefix: 'mail', fromS: 2, untilS: 10, mitigationSystem: 'dosd', ...HEAVY },
  { prefix: 'core', fromS: 2, untilS: 8, mitigationSystem: 'dosd', ...HEAVY },
];

/** The analytics API answers with errors for every query in this window (it is one API for the whole account). */
export const DEMO_DARK: readonly DemoDark[] = [{ fromS: 26, untilS: 52 }];

/** Nothing is left to happen after this (the last withdraw and its cooldown are expected well before). */
export const SCENARIO_LENGTH_S = 100;
/** --until-done gives up (and reports what is missing) this long after T0, plus any time the demo was stopped. */
export const SCENARIO_DEADLINE_S = 190;

export interface TimelineEvent {
  atS: number;
  text: string;
}

/** The narrative shown beside the status table. */
export function timeline(): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const name = (key: string): string => key;
  const starts = new Map<number, string[]>();
  for (const a of DEMO_ATTACKS) starts.set(a.fromS, [...(starts.get(a.fromS) ?? []), name(a.prefix)]);
  for (const [atS, keys] of starts) events.push({ atS, text: `attack begins: ${keys.join(', ')}` });
  for (const a of DEMO_ATTACKS) events.push({ atS: a.untilS, text: `attack on ${name(a.prefix)} ends` });
  for (const d of DEMO_DARK) {
    events.push({ atS: d.fromS, text: `analytics API goes dark (${d.untilS - d.fromS}s): calm timers freeze` });
    events.push({ atS: d.untilS, text: 'analytics API answers again' });
  }
  return events.sort((a, b) => a.atS - b.atS || a.text.localeCompare(b.text));
}

export function prefixByKey(key: string): DemoPrefix {
  const p = DEMO_PREFIXES.find((x) => x.key === key);
  if (!p) throw new Error(`no demo prefix ${key}`);
  return p;
}
