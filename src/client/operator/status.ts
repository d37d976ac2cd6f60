// `mtctl status`: each prefix as its workflow sees it (query), or, when that cannot be asked, as Cloudflare and the
// database show it; one row shape for the table and for --json.
import type { PrefixEntry } from '../../config';
import { createQueries, type PrefixCalmStatusRow } from '../../db';
import { parseSqliteTimestamp } from '../../db/schema';
import { cooldownEndsAtMs } from '../../domain/protection';
import type { Hold } from '../../domain/hold';
import type { LivePrefixState } from '../../domain/types';
import { protectionWorkflowId } from '../../workflows/ids';
import type { ProtectionStatus, QueuedAdvertise } from '../../workflows/types';
import type { CliContext } from '../context';
import { errorText, readLiveStates, type LiveRead } from './cloudflare-state';
import { lastWithdrawFromDatabase, readStatus, type StatusRead } from './workflows';

/** Where a row's facts come from. */
export type RowSource = 'workflow' | 'cloudflare+database';

/** One prefix, every time as epoch ms (JSON adds ISO text next to each). */
export interface PrefixRow {
  cidr: string;
  description: string;
  source: RowSource;
  workflowId: string;
  /** calm, under_attack, held, locked, cooldown, advertise_queued, idle, not_protected, unknown… */
  state: string;
  phase: string | null;
  advertised: boolean | null;
  /** Null when Cloudflare could not be read and the mapping file does not lock it. */
  locked: boolean | null;
  underAttack: boolean | null;
  telemetry: string | null;
  /** Null when the workflow could not be asked: only it knows about holds. */
  held: boolean | null;
  hold: Hold | null;
  calmSinceMs: number | null;
  /** Calm time counted toward the calm period. */
  calmForMs: number | null;
  calmPeriodMs: number;
  autoWithdrawAtMs: number | null;
  withdrawBlockedBy: string | null;
  peak: RowPeak | null;
  cooldownUntilMs: number | null;
  advertiseAvailableAtMs: number | null;
  queuedAdvertise: QueuedAdvertise | null;
  lastWithdraw: { eventId: string | null; atMs: number; trigger: string; actor: string | null } | null;
  /** Shadow mode (the worker changes nothing at Cloudflare); null when the workflow could not be asked. */
  shadow: boolean | null;
  /** Shadow mode: when the withdraw of this episode was decided (and not made). */
  shadowWithdrawnAtMs: number | null;
  /** How the prefix's workflow answered: running, none (nothing protects it), or unavailable (worker down…). */
  workflow: StatusRead['kind'];
  /** Why live workflow state is missing, or what could not be read. */
  error: string | null;
}

/** The peak of the current attack episode; the database keeps no bits and no time of it. */
export interface RowPeak {
  packets: number;
  mbps: number;
  bits: number | null;
  systems: string[];
  atMs: number | null;
}

export interface StatusReport {
  nowMs: number;
  /** Set when at least one row could not come from its workflow although it should have (worker or Temporal down). */
  note: string | null;
  rows: PrefixRow[];
}

export async function gatherStatus(ctx: CliContext, entries: readonly PrefixEntry[]): Promise<StatusReport> {
  const reads = await Promise.all(entries.map((e) => readStatus(ctx, e.cidr)));
  const needCloudflare = entries.filter((_, i) => reads[i]?.kind !== 'running');
  let live = new Map<string, LiveRead>();
  if (needCloudflare.length > 0) {
    try {
      live = await readLiveStates(ctx.cloudflare(), needCloudflare);
    } catch (err) {
      const error = errorText(err);
      live = new Map(needCloudflare.map((e) => [e.cidr, { ok: false, error }]));
    }
  }
  const calmRows = needCloudflare.length > 0 ? calmStatusRows(ctx) : new Map<string, PrefixCalmStatusRow>();
  const nowMs = Date.now();
  const rows = entries.map((e, i) => {
    const read = reads[i] as StatusRead;
    if (read.kind === 'running') return fromWorkflow(e, read.status);
    return fromFallback(ctx, e, nowMs, live.get(e.cidr), calmRows.get(e.cidr) ?? null, read);
  });
  const unavailable = reads.filter((r): r is Extract<StatusRead, { kind: 'unavailable' }> => r.kind === 'unavailable');
  return {
    nowMs,
    note:
      unavailable.length > 0
        ? `live workflow state unavailable (${unavailable[0]?.error}): showing Cloudflare and the database instead; calm timers there are the last ones the worker recorded`
        : null,
    rows,
  };
}

function fromWorkflow(e: PrefixEntry, st: ProtectionStatus): PrefixRow {
  return {
    cidr: e.cidr,
    description: st.description || e.description,
    source: 'workflow',
    workflowId: protectionWorkflowId(e.cidr),
    state: st.state,
    phase: st.phase,
    advertised: st.advertised,
    locked: st.locked,
    underAttack: st.underAttack,
    telemetry: st.telemetry,
    held: st.held,
    hold: st.hold,
    calmSinceMs: st.underAttack ? null : st.calmSinceMs,
    calmForMs: st.underAttack || st.calmSinceMs === null ? null : st.calmAccumulatedMs,
    calmPeriodMs: st.calmPeriodMs,
    autoWithdrawAtMs: st.withdrawDueAtMs,
    withdrawBlockedBy: st.withdrawBlockedBy,
    peak: st.peak && {
      packets: st.peak.packets,
      mbps: st.peak.mbps,
      bits: st.peak.bits,
      systems: st.peak.systems,
      atMs: st.peak.atMs,
    },
    cooldownUntilMs: st.cooldownUntilMs,
    advertiseAvailableAtMs: st.advertiseAvailableAtMs,
    queuedAdvertise: st.queuedAdvertise,
    lastWithdraw: st.lastWithdraw
      ? {
          eventId: st.lastWithdraw.eventId,
          atMs: st.lastWithdraw.atMs,
          trigger: st.lastWithdraw.trigger,
          actor: st.lastWithdraw.actor ?? null,
        }
      : null,
    shadow: st.shadow,
    shadowWithdrawnAtMs: st.shadowWithdrawnAtMs,
    workflow: 'running',
    error: null,
  };
}

/** Cloudflare says whether it is advertised; the database says what the worker last recorded about calm and withdraws. */
function fromFallback(
  ctx: CliContext,
  e: PrefixEntry,
  nowMs: number,
  read: LiveRead | undefined,
  calm: PrefixCalmStatusRow | null,
  status: Exclude<StatusRead, { kind: 'running' }>,
): PrefixRow {
  const live: LivePrefixState | null = read?.ok ? read.live : null;
  const policy = ctx.config().policy;
  const lastWithdrawAtMs = lastWithdrawFromDatabase(ctx, e.cidr);
  const advertised = live?.advertised ?? null;
  const locked = live ? live.locked : e.locked ? true : null;
  const cooldownEnd =
    advertised === false
      ? cooldownEndsAtMs(lastWithdrawAtMs, live?.advertisedModifiedAtMs ?? null, policy.readvertiseCooldownMs)
      : null;
  const calmSinceMs = calm && advertised !== false ? parseSqliteTimestamp(calm.calmSince) : null;
  const underAttack = calm && advertised !== false ? calm.underAttack : null;
  const errors = [status.kind === 'unavailable' ? status.error : null, read && !read.ok ? read.error : null].filter(
    (x): x is string => x !== null,
  );
  return {
    cidr: e.cidr,
    description: e.description,
    source: 'cloudflare+database',
    workflowId: protectionWorkflowId(e.cidr),
    state:
      live === null
        ? 'unknown'
        : locked && advertised
          ? 'locked'
          : advertised
            ? status.kind === 'none'
              ? 'unprotected'
              : underAttack
                ? 'under_attack'
                : calmSinceMs !== null
                  ? 'calm'
                  : 'advertised'
            : cooldownEnd !== null && cooldownEnd > nowMs
              ? 'cooldown'
              : 'not_advertised',
    phase: null,
    advertised,
    locked,
    underAttack,
    telemetry: null,
    // Holds live in the workflow only: without its answer, nobody can tell (a prefix nothing protects has none).
    held: status.kind === 'none' ? false : null,
    hold: null,
    calmSinceMs,
    calmForMs: calm && calmSinceMs !== null && !underAttack ? Math.round((calm.calmMinutes ?? 0) * 60_000) : null,
    calmPeriodMs: e.overrides.calmPeriodMs ?? policy.calmPeriodMs,
    autoWithdrawAtMs: null,
    withdrawBlockedBy: locked === true ? 'locked' : null,
    peak: calm && advertised !== false ? peakOf(calm) : null,
    cooldownUntilMs: cooldownEnd !== null && cooldownEnd > nowMs ? cooldownEnd : null,
    advertiseAvailableAtMs: cooldownEnd,
    queuedAdvertise: null,
    lastWithdraw:
      lastWithdrawAtMs !== null ? { eventId: null, atMs: lastWithdrawAtMs, trigger: 'recorded', actor: null } : null,
    shadow: null,
    shadowWithdrawnAtMs: null,
    workflow: status.kind,
    error: errors.length > 0 ? errors.join('; ') : null,
  };
}

/** The worker writes the episode's peak into every dashboard row (last_attack_packets / _mbps, mitigation_systems). */
function peakOf(calm: PrefixCalmStatusRow): RowPeak | null {
  if (calm.lastAttackPackets === null) return null;
  return {
    packets: calm.lastAttackPackets,
    mbps: calm.lastAttackMbps ?? 0,
    bits: null,
    systems: (calm.mitigationSystems ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
    atMs: null,
  };
}

function calmStatusRows(ctx: CliContext): Map<string, PrefixCalmStatusRow> {
  try {
    return new Map(
      createQueries(ctx.database({ readonly: true }))
        .calmStatus()
        .map((r) => [r.prefix, r]),
    );
  } catch {
    return new Map();
  }
}
