// `mtctl check`: one dry-run cycle for every advertised prefix: the same Cloudflare reads and the same pure engine as
// the workflows, from each workflow's current state, reporting what would happen. Nothing is changed or recorded.
import { policyFor, type PrefixEntry } from '../../config';
import { createQueries } from '../../db';
import { parseSqliteTimestamp } from '../../db/schema';
import { initialCalmState, stepCalm, type CalmState, type StepResult } from '../../domain/calm-engine';
import { formatAtAndIn, formatUtc } from '../../domain/clock-format';
import { formatDuration } from '../../domain/durations';
import { currentCycleAtMs } from '../../domain/protection';
import type { LivePrefixState, TrafficObservation } from '../../domain/types';
import type { DroppedTrafficReport } from '../../integrations/cloudflare';
import type { ProtectionStatus } from '../../workflows/types';
import type { CliContext } from '../context';
import { errorText, readLiveStates } from './cloudflare-state';
import { readStatus } from './workflows';

export interface CheckLine {
  cidr: string;
  description: string;
  /** attack | calm | unknown | not_advertised | error */
  classification: string;
  /** What the next cycle would do: withdraw, wait, reset, freeze, blocked:<why>, nothing. */
  verdict: string;
  text: string;
  /** Where the calm timer came from: the workflow, the database, or a fresh start. */
  stateFrom: 'workflow' | 'database' | 'fresh' | null;
}

export interface CheckReport {
  windowStartMs: number;
  windowEndMs: number;
  lines: CheckLine[];
  /** The check could not do its whole job: some prefixes unread at Cloudflare, or the dropped-traffic query failed. */
  failed: boolean;
  /** What went wrong, in one line (null when nothing did). */
  problem: string | null;
}

export async function runCheck(ctx: CliContext, entries: readonly PrefixEntry[]): Promise<CheckReport> {
  const config = ctx.config();
  const nowMs = Date.now();
  const windowEndMs = currentCycleAtMs(nowMs, config.policy.checkIntervalMs);
  const windowStartMs = windowEndMs - config.policy.lookbackMs;
  const cf = ctx.cloudflare();
  const live = await readLiveStates(cf, entries);
  const advertised = entries.filter((e) => {
    const r = live.get(e.cidr);
    return r?.ok === true && r.live.advertised === true;
  });
  let report: DroppedTrafficReport | null = null;
  let trafficError: string | null = null;
  if (advertised.length > 0) {
    try {
      // The whole account's configured prefixes, as the worker asks: attribution works the same way.
      report = await cf.droppedTraffic(
        { startMs: windowStartMs, endMs: windowEndMs },
        config.prefixes.map((p) => p.cidr),
      );
    } catch (err) {
      trafficError = errorText(err);
    }
  }
  const statuses = await Promise.all(advertised.map((e) => readStatus(ctx, e.cidr)));
  const lines: CheckLine[] = [];
  for (const e of entries) {
    const r = live.get(e.cidr);
    if (!r?.ok) {
      lines.push(line(e, 'error', 'error', `cannot read it at Cloudflare: ${r ? r.error : 'not read'}`, null));
      continue;
    }
    if (r.live.advertised !== true) {
      lines.push(line(e, 'not_advertised', 'nothing', 'not advertised: nothing to check', null));
      continue;
    }
    const read = statuses[advertised.indexOf(e)];
    const status = read?.kind === 'running' ? read.status : null;
    const from = startingState(ctx, e.cidr, status);
    const observation = observationFor(e.cidr, windowEndMs, report, trafficError);
    const policy = policyFor(config, e);
    const step = stepCalm(from.state, observation, {
      nowMs: windowEndMs,
      policy,
      held: status?.held ?? false,
      locked: r.live.locked,
      advertisedAtMs: r.live.advertisedModifiedAtMs,
      withdrawNotBeforeMs: status?.withdrawFailures.notBeforeMs ?? null,
    });
    lines.push(describe(e, step, r.live, status?.held ?? false, policy.calmPeriodMs, windowEndMs, nowMs, from.source));
  }
  const problems: string[] = [];
  const unread = lines.filter((l) => l.classification === 'error').length;
  if (unread > 0) problems.push(`Cloudflare could not be read for ${unread} of ${lines.length} prefix(es)`);
  if (trafficError !== null)
    problems.push(
      `the dropped-traffic query failed (${trafficError}): the ${advertised.length} advertised prefix(es) show what the workflows would do with unknown traffic, not a real verdict`,
    );
  return {
    windowStartMs,
    windowEndMs,
    lines,
    failed: problems.length > 0,
    problem: problems.length > 0 ? problems.join('; ') : null,
  };
}

function line(
  e: PrefixEntry,
  classification: string,
  verdict: string,
  text: string,
  stateFrom: CheckLine['stateFrom'],
): CheckLine {
  return { cidr: e.cidr, description: e.description, classification, verdict, text, stateFrom };
}

/** The workflow's engine state when it answers, else the last row the worker wrote, else a fresh start. */
function startingState(
  ctx: CliContext,
  cidr: string,
  status: ProtectionStatus | null,
): { state: CalmState; source: 'workflow' | 'database' | 'fresh' } {
  if (status?.engine) return { state: status.engine, source: 'workflow' };
  try {
    const row = createQueries(ctx.database({ readonly: true }))
      .calmStatus()
      .find((c) => c.prefix === cidr);
    if (row) {
      const calmSinceMs = parseSqliteTimestamp(row.calmSince);
      return {
        state: {
          ...initialCalmState(),
          underAttack: row.underAttack ?? false,
          calmSinceMs,
          calmAccumulatedMs: Math.round((row.calmMinutes ?? 0) * 60_000),
          accrualAnchorMs: calmSinceMs !== null ? parseSqliteTimestamp(row.lastUpdated) : null,
        },
        source: 'database',
      };
    }
  } catch {
    // No database yet: a fresh start.
  }
  return { state: initialCalmState(), source: 'fresh' };
}

/** Same reading as the measurement activity: this prefix's share of the account's dropped traffic. */
function observationFor(
  cidr: string,
  windowEndMs: number,
  report: DroppedTrafficReport | null,
  error: string | null,
): TrafficObservation {
  if (!report)
    return { kind: 'error', windowEndMs, errorType: 'CloudflareUnavailableError', message: error ?? 'not read' };
  const mine = report.perPrefix[cidr] ?? { packets: 0, bits: 0, systems: [] };
  return {
    kind: 'data',
    windowStartMs: report.windowStartMs,
    windowEndMs: report.windowEndMs,
    packets: mine.packets,
    bits: mine.bits,
    systems: mine.systems,
    unattributedPackets: report.unattributedPackets,
    unattributedBits: report.unattributedBits,
    newestSampleMs: report.newestSampleMs,
  };
}

function describe(
  e: PrefixEntry,
  step: StepResult,
  live: LivePrefixState,
  held: boolean,
  calmPeriodMs: number,
  atMs: number,
  nowMs: number,
  stateFrom: CheckLine['stateFrom'],
): CheckLine {
  const c = step.classification;
  const withdraw = step.decisions.find((d) => d.type === 'withdraw');
  const blocked = step.decisions.find((d) => d.type === 'withdraw_blocked');
  if (c.kind === 'unknown')
    return line(
      e,
      'unknown',
      'freeze',
      `traffic unknown (${c.reason}: ${c.detail}) → calm timer would stay frozen at ${formatDuration(step.state.calmAccumulatedMs)} of ${formatDuration(calmPeriodMs)}; no withdraw`,
      stateFrom,
    );
  const traffic = `${c.packets} pkts, ${c.mbps.toFixed(2)} Mbps dropped${c.systems.length ? ` (${c.systems.join(', ')})` : ''}`;
  if (c.kind === 'attack')
    return line(e, 'attack', 'reset', `under attack: ${traffic} → calm timer would reset; no withdraw`, stateFrom);
  const calm = `calm ${formatDuration(step.state.calmAccumulatedMs)} of ${formatDuration(calmPeriodMs)} (${traffic})`;
  if (withdraw) return line(e, 'calm', 'withdraw', `${calm} → WOULD WITHDRAW now`, stateFrom);
  if (blocked?.type === 'withdraw_blocked') {
    const until = blocked.untilMs !== null ? ` until ${formatAtAndIn(blocked.untilMs, nowMs)}` : '';
    const why = blocked.reason === 'locked' && live.locked ? 'locked' : blocked.reason;
    return line(
      e,
      'calm',
      `blocked:${why}`,
      `${calm} → calm period complete, withdraw blocked: ${why}${until}`,
      stateFrom,
    );
  }
  // Still calming down, but no calm period will withdraw it: say so rather than count down to nothing.
  if (live.locked) return line(e, 'calm', 'blocked:locked', `${calm} → locked: it is never auto-withdrawn`, stateFrom);
  if (held) return line(e, 'calm', 'blocked:held', `${calm} → held: no auto-withdraw while the hold lasts`, stateFrom);
  const left = Math.max(0, calmPeriodMs - step.state.calmAccumulatedMs);
  return line(
    e,
    'calm',
    'wait',
    `${calm} → would keep waiting; auto-withdraw after ${formatDuration(left)} more calm (${formatUtc(atMs + left, nowMs)} at the earliest)`,
    stateFrom,
  );
}
