// What the demo's incident must lead to, and the check of what actually happened (pure: facts in, verdicts out).
import { DEMO_ATTACKS, DEMO_DARK, DEMO_PREFIXES, DEMO_TIMING, prefixByKey, type DemoPrefix } from './scenario';

export interface Interval {
  fromMs: number;
  untilMs: number;
}

export interface ObservedPatch {
  atMs: number;
  bgpPrefixId: string;
  advertised: boolean | null;
  outcome: string;
}

export interface ObservedWorkflow {
  /** null: no workflow was ever started for the prefix. */
  state: 'running' | 'completed' | 'other' | null;
  /** The ending reason of a completed workflow (cooldown_elapsed, withdrawn_externally, ...). */
  reason: string | null;
}

export interface Observed {
  t0Ms: number;
  /** When the worker was not running between demo sessions (it cannot measure then). */
  downtime: Interval[];
  patches: ObservedPatch[];
  workflows: Record<string, ObservedWorkflow>;
  /** Telegram messages as a client shows them. */
  messages: { atMs: number; text: string }[];
  /** withdrawal_history rows. */
  withdrawals: { prefix: string; status: string; method: string }[];
}

export interface Check {
  ok: boolean;
  text: string;
}

/** How long after a cycle's time its analytics request may reach the API. */
const REQUEST_LATENCY_MS = 1_000;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.fromMs - b.fromMs);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.fromMs <= last.untilMs) last.untilMs = Math.max(last.untilMs, i.untilMs);
    else out.push({ ...i });
  }
  return out;
}

/** The instant `needMs` of time outside `excluded` has passed since startMs. */
export function advance(startMs: number, needMs: number, excluded: Interval[]): number {
  let t = startMs;
  let need = needMs;
  for (const x of merge(excluded)) {
    if (x.untilMs <= t) continue;
    if (x.fromMs > t) {
      const free = x.fromMs - t;
      if (free >= need) return t + need;
      need -= free;
    }
    t = Math.max(t, x.untilMs);
  }
  return t + need;
}

export function darkWindows(t0Ms: number): Interval[] {
  return DEMO_DARK.map((d) => ({ fromMs: t0Ms + d.fromS * 1000, untilMs: t0Ms + d.untilS * 1000 }));
}

export function lastAttackEndMs(key: string, t0Ms: number): number {
  const ends = DEMO_ATTACKS.filter((a) => a.prefix === key).map((a) => a.untilS);
  if (ends.length === 0) throw new Error(`${key} is not attacked in the scenario`);
  return t0Ms + Math.max(...ends) * 1000;
}

/**
 * When an attacked prefix may be withdrawn. Earliest: the calm period after the last attack has left the lookback
 * window, with the analytics outage not counted as calm (one cycle of rounding allowed). Latest: the same, starting a
 * cycle late, with the demo's own downtime not counted either, plus a cycle per interruption and a few seconds.
 */
export function expectedWithdrawWindow(key: string, t0Ms: number, downtime: Interval[] = []): Interval {
  const { checkMs, calmMs, lookbackMs } = DEMO_TIMING;
  const end = lastAttackEndMs(key, t0Ms);
  const dark = darkWindows(t0Ms);
  // A measurement is stamped with its window's end, just before the request that the outage may still refuse.
  const earliest = advance(
    end + lookbackMs - checkMs,
    calmMs,
    dark.map((d) => ({ fromMs: d.fromMs, untilMs: d.untilMs - REQUEST_LATENCY_MS })),
  );
  const start = end + lookbackMs + checkMs;
  // After a restart, workflow tasks may first wait out the old worker's sticky queue (the SDK's 10 s timeout).
  const gaps = [...dark, ...downtime.map((d) => ({ fromMs: d.fromMs, untilMs: d.untilMs + 10_000 }))];
  const ideal = advance(start, calmMs, gaps);
  const interruptions = merge(gaps).filter((g) => g.untilMs > start && g.fromMs < ideal).length;
  return { fromMs: earliest, untilMs: ideal + checkMs * (1 + interruptions) + 10_000 };
}

/** Every expected outcome of the scenario, as checks an operator can read. */
export function evaluate(o: Observed): Check[] {
  const checks: Check[] = [];
  const rel = (ms: number): string => `+${seconds(ms - o.t0Ms)}`;
  const patchesOf = (p: DemoPrefix) => o.patches.filter((x) => x.bgpPrefixId === p.bgpPrefixId);
  const messagesAbout = (p: DemoPrefix, title: RegExp) =>
    o.messages.filter((m) => title.test(m.text) && m.text.includes(p.cidr));
  const check = (ok: boolean, text: string): void => void checks.push({ ok, text });

  for (const p of DEMO_PREFIXES) {
    const label = `${p.key} ${p.cidr}`;
    const patches = patchesOf(p);
    const wf = o.workflows[p.key] ?? { state: null, reason: null };
    const withdrawMessages = messagesAbout(p, /PREFIX AUTO-WITHDRAWN/);
    const rows = o.withdrawals.filter((w) => w.prefix === p.cidr);
    if (p.role === 'attacked') {
      const window = expectedWithdrawWindow(p.key, o.t0Ms, o.downtime);
      const withdraws = patches.filter((x) => x.advertised === false && x.outcome === 'changed');
      const expect = `expected ${rel(window.fromMs)} … ${rel(window.untilMs)}`;
      if (withdraws.length !== 1 || patches.length !== 1) {
        check(
          false,
          `${label}: withdrawn exactly once — saw ${withdraws.length} withdraw(s) among ${patches.length} PATCH request(s) (${expect})`,
        );
      } else {
        const at = withdraws[0]!.atMs;
        const onTime = at >= window.fromMs && at <= window.untilMs;
        const after = `last attack ended ${rel(lastAttackEndMs(p.key, o.t0Ms))}`;
        check(onTime, `${label}: withdrawn once at ${rel(at)} (${expect}; ${after})`);
      }
      check(
        wf.state === 'completed' && wf.reason === 'cooldown_elapsed',
        `${label}: protection ended after the re-advertise cooldown (workflow ${wf.state ?? 'never started'}${wf.reason ? `, ${wf.reason}` : ''})`,
      );
      check(
        withdrawMessages.length === 1,
        `${label}: one "PREFIX AUTO-WITHDRAWN" message (saw ${withdrawMessages.length})`,
      );
      check(
        rows.length === 1 && rows[0]!.status === 'success' && rows[0]!.method === 'autowithdraw_daemon',
        `${label}: one withdrawal_history row (autowithdraw_daemon, success) (saw ${rows.length})`,
      );
    } else if (p.role === 'locked') {
      check(patches.length === 0, `${label} (locked): never PATCHed (saw ${patches.length})`);
      check(wf.state === 'running', `${label} (locked): still protected (workflow ${wf.state ?? 'never started'})`);
      check(
        messagesAbout(p, /WITHDRAW SKIPPED — PREFIX LOCKED/).length >= 1,
        `${label} (locked): operators were told it stays advertised because it is locked`,
      );
      check(withdrawMessages.length === 0 && rows.length === 0, `${label} (locked): no withdraw recorded or announced`);
    } else {
      check(
        patches.length === 0 && wf.state === null,
        `${label} (not advertised): never protected, never PATCHed (workflow ${wf.state ?? 'none'}, ${patches.length} PATCH)`,
      );
    }
  }

  for (const d of darkWindows(o.t0Ms)) {
    const inside = o.patches.filter((x) => x.atMs >= d.fromMs && x.atMs < d.untilMs);
    check(
      inside.length === 0,
      `nothing PATCHed while the analytics were dark (${rel(d.fromMs)} … ${rel(d.untilMs)})${inside.length ? `: ${inside.length} PATCH request(s)` : ''}`,
    );
  }
  const mail = prefixByKey('mail');
  check(
    messagesAbout(mail, /TRAFFIC DATA LOST/).length >= 1,
    `the analytics outage raised a "TRAFFIC DATA LOST" alert for ${mail.key} ${mail.cidr}`,
  );
  return checks;
}
