// Per-prefix decision state as Prometheus gauges, and decisions counted by action and reason, fed by published cycles.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProtectionStatus } from '../workflows/types';

export const METRIC_PREFIX = 'mt_autowithdraw_';

const PHASES = ['protecting', 'withdrawing', 'cooldown'] as const;
const TELEMETRY = ['ok', 'unknown', 'lost', 'not_measured'] as const;

export interface DecisionMetricsOptions {
  registry: Registry;
  /** The configured check interval: a prefix not heard of for a few intervals is dropped (ended, or moved). */
  checkIntervalMs: number;
  shadow: boolean;
  now?: () => number;
}

export interface DecisionMetrics {
  /** The onCycle hook: called with every status a prefix workflow publishes. */
  observe(status: ProtectionStatus): void;
  /** Prefixes currently exported. */
  prefixes(): string[];
}

interface Seen {
  status: ProtectionStatus;
  seenAtMs: number;
}

/** "withdraw_blocked:locked" → action withdraw_blocked, reason locked; "withdraw" → reason "". */
export function splitDecision(decision: string): { action: string; reason: string } {
  const at = decision.indexOf(':');
  return at < 0 ? { action: decision, reason: '' } : { action: decision.slice(0, at), reason: decision.slice(at + 1) };
}

export function createDecisionMetrics(opts: DecisionMetricsOptions): DecisionMetrics {
  const now = opts.now ?? Date.now;
  const latest = new Map<string, Seen>();
  /** Per prefix, the cycle whose decisions were counted last: a re-published or retried cycle counts once. */
  const counted = new Map<string, string>();
  const registers = [opts.registry];
  const seconds = (ms: number): number => Math.round(ms) / 1000;

  const current = (): Seen[] => {
    const t = now();
    const keepMs = Math.max(3 * opts.checkIntervalMs, 30_000);
    for (const [cidr, seen] of latest) {
      // No cycle is published during the re-advertise cooldown: keep the prefix until the cooldown is over.
      const until = Math.max(seen.seenAtMs + keepMs, (seen.status.cooldownUntilMs ?? 0) + keepMs);
      if (seen.status.phase === 'ended' || t > until) latest.delete(cidr);
    }
    return [...latest.values()];
  };

  /** A gauge whose series are rebuilt from the latest statuses at every scrape (no stale label sets). */
  function perPrefix<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L | 'prefix'>, s: ProtectionStatus, t: number) => void,
  ): void {
    new Gauge<L | 'prefix'>({
      name: `${METRIC_PREFIX}${name}`,
      help,
      labelNames: ['prefix', ...labelNames],
      registers,
      collect() {
        this.reset();
        const t = now();
        for (const { status } of current()) fill(this, status, t);
      },
    });
  }

  perPrefix(
    'seconds_until_withdraw',
    'Seconds until the auto-withdraw if calm continues (absent when none is due)',
    [],
    (g, s, t) => {
      if (s.phase === 'protecting' && s.withdrawDueAtMs !== null)
        g.set({ prefix: s.cidr }, Math.max(0, seconds(s.withdrawDueAtMs - t)));
    },
  );
  perPrefix('calm_seconds', 'Calm time accrued toward the calm period', [], (g, s) =>
    g.set({ prefix: s.cidr }, seconds(s.calmAccumulatedMs)),
  );
  perPrefix('calm_period_seconds', 'Calm time needed before an auto-withdraw', [], (g, s) =>
    g.set({ prefix: s.cidr }, seconds(s.calmPeriodMs)),
  );
  perPrefix(
    'telemetry_age_seconds',
    'Age of the last successful traffic measurement (grows while analytics are unknown)',
    [],
    (g, s, t) => {
      if (s.lastMeasurement) g.set({ prefix: s.cidr }, Math.max(0, seconds(t - s.lastMeasurement.atMs)));
    },
  );
  perPrefix(
    'telemetry',
    'Traffic data state: 1 for the current one (ok, unknown, lost, not_measured)',
    ['state'],
    (g, s) => {
      for (const state of TELEMETRY) g.set({ prefix: s.cidr, state }, s.telemetry === state ? 1 : 0);
    },
  );
  perPrefix('under_attack', '1 while the prefix is under attack', [], (g, s) =>
    g.set({ prefix: s.cidr }, s.underAttack ? 1 : 0),
  );
  perPrefix('held', '1 while an operator holds auto-withdraw', [], (g, s) => g.set({ prefix: s.cidr }, s.held ? 1 : 0));
  perPrefix('locked', '1 when the prefix is locked (never changed)', [], (g, s) =>
    g.set({ prefix: s.cidr }, s.locked ? 1 : 0),
  );
  perPrefix('phase', 'Workflow phase: 1 for the current one', ['phase'], (g, s) => {
    for (const phase of PHASES) g.set({ prefix: s.cidr, phase }, s.phase === phase ? 1 : 0);
  });
  perPrefix('last_cycle_timestamp_seconds', 'When the prefix was last measured (cycle time)', [], (g, s) => {
    if (s.lastCycleAtMs !== null) g.set({ prefix: s.cidr }, seconds(s.lastCycleAtMs));
  });
  new Gauge({
    name: `${METRIC_PREFIX}shadow_mode`,
    help: '1 when the worker runs in shadow mode (decides and notifies, never changes Cloudflare)',
    registers,
  }).set(opts.shadow ? 1 : 0);
  const decisions = new Counter<'prefix' | 'action' | 'reason'>({
    name: `${METRIC_PREFIX}decisions_total`,
    help: 'Decisions taken by the calm engine, by prefix, action and reason',
    labelNames: ['prefix', 'action', 'reason'],
    registers,
  });

  return {
    observe(status) {
      latest.set(status.cidr, { status, seenAtMs: now() });
      const key = `${status.cycles}/${status.lastCycleAtMs ?? ''}`;
      if (counted.get(status.cidr) === key) return;
      counted.set(status.cidr, key);
      for (const d of status.lastDecisions) decisions.inc({ prefix: status.cidr, ...splitDecision(d) });
    },
    prefixes: () => current().map((s) => s.status.cidr),
  };
}
