// Renders `mtctl status`: an aligned table with human durations for people, stable JSON (ms and ISO) for scripts.
import { formatAtAndIn, formatUtc, isoOrNull } from '../../domain/clock-format';
import { formatDuration } from '../../domain/durations';
import type { PrefixRow, StatusReport } from './status';

/** Fixed-width columns; the widest cell sets each column's width. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const yesNo = (v: boolean | null): string => (v === null ? '?' : v ? 'yes' : 'no');

export function renderStatusText(report: StatusReport): string {
  const now = report.nowMs;
  const header = [
    'PREFIX',
    'DESCRIPTION',
    'ADVERTISED',
    'LOCKED',
    'STATE',
    'CALM SINCE',
    'CALM FOR',
    'AUTO-WITHDRAW',
    'PEAK',
    'COOLDOWN',
    'HELD',
  ];
  const rows = report.rows.map((r) => [
    r.cidr,
    r.description,
    yesNo(r.advertised),
    yesNo(r.locked),
    r.state,
    r.calmSinceMs !== null ? formatUtc(r.calmSinceMs, now) : '-',
    r.calmForMs !== null ? `${formatDuration(r.calmForMs)} of ${formatDuration(r.calmPeriodMs)}` : '-',
    autoWithdrawCell(r, now),
    r.peak ? `${r.peak.packets} pkts ${r.peak.mbps.toFixed(1)} Mbps` : '-',
    r.cooldownUntilMs !== null && r.cooldownUntilMs > now ? formatDuration(r.cooldownUntilMs - now) : '-',
    r.held === null
      ? '?'
      : r.hold
        ? r.hold.untilMs === null
          ? 'yes'
          : `${formatDuration(r.hold.untilMs - now)} left`
        : 'no',
  ]);
  const lines = [renderTable(header, rows)];
  const notes = report.rows.flatMap((r) => notesOf(r, now));
  if (notes.length > 0) lines.push('', ...notes);
  if (report.rows.some((r) => r.shadow)) lines.push('', `NOTE: ${SHADOW_NOTE}`);
  if (report.note) lines.push('', `NOTE: ${report.note}`);
  return `${lines.join('\n')}\n`;
}

const SHADOW_NOTE = 'SHADOW MODE: the worker decides and records as usual but changes nothing at Cloudflare';

/** "SHADOW: would have withdrawn at 14:02:11 UTC, 3m 05s ago", or null outside shadow mode or before that decision. */
export function shadowVerdict(r: PrefixRow, now: number): string | null {
  if (!r.shadow || r.shadowWithdrawnAtMs === null) return null;
  return `SHADOW: would have withdrawn at ${formatAtAndIn(r.shadowWithdrawnAtMs, now)}; nothing was changed at Cloudflare`;
}

function autoWithdrawCell(r: PrefixRow, now: number): string {
  const cell = plainAutoWithdrawCell(r, now);
  if (!r.shadow || r.advertised === false) return cell;
  if (r.shadowWithdrawnAtMs !== null) return 'shadow: done';
  return cell === '-' ? cell : `shadow: ${cell}`;
}

function plainAutoWithdrawCell(r: PrefixRow, now: number): string {
  if (r.advertised === false) return '-';
  if (r.withdrawBlockedBy === 'locked') return 'never (locked)';
  if (r.held) return 'held';
  if (r.source !== 'workflow') return '?';
  if (r.underAttack) return 'after attack';
  if (r.telemetry === 'unknown' || r.telemetry === 'lost') return 'frozen (traffic unknown)';
  if (r.autoWithdrawAtMs === null) return '-';
  return r.autoWithdrawAtMs <= now ? 'due now' : `in ${formatDuration(r.autoWithdrawAtMs - now)}`;
}

function notesOf(r: PrefixRow, now: number): string[] {
  const out: string[] = [];
  if (r.hold)
    out.push(
      `${r.cidr}: held by ${r.hold.actor} since ${formatUtc(r.hold.sinceMs, now)}${
        r.hold.untilMs === null ? ' until resumed' : ` until ${formatUtc(r.hold.untilMs, now)}`
      }: ${r.hold.reason}`,
    );
  if (r.queuedAdvertise)
    out.push(
      `${r.cidr}: advertise queued by ${r.queuedAdvertise.actor}${
        r.advertiseAvailableAtMs !== null ? `, due at ${formatUtc(r.advertiseAvailableAtMs, now)}` : ''
      }${r.queuedAdvertise.lastError ? ` (last attempt failed: ${r.queuedAdvertise.lastError})` : ''}`,
    );
  if (
    r.advertised === false &&
    r.advertiseAvailableAtMs !== null &&
    r.advertiseAvailableAtMs > now &&
    !r.queuedAdvertise
  )
    out.push(`${r.cidr}: advertise available at ${formatUtc(r.advertiseAvailableAtMs, now)}`);
  const shadow = shadowVerdict(r, now);
  if (shadow) out.push(`${r.cidr}: ${shadow}`);
  if (r.error) out.push(`${r.cidr}: ${r.error}`);
  return out;
}

/** Stable field names: every time as `<name>Ms` (epoch ms) and `<name>` (ISO 8601), durations as `<name>Ms`. */
export function statusJson(report: StatusReport): unknown {
  const now = report.nowMs;
  return {
    generatedAt: isoOrNull(now),
    generatedAtMs: now,
    source: report.note ? 'fallback' : 'workflows',
    note: report.note,
    shadowMode: report.rows.some((r) => r.shadow === true),
    prefixes: report.rows.map((r) => ({
      cidr: r.cidr,
      description: r.description,
      source: r.source,
      workflowId: r.workflowId,
      state: r.state,
      phase: r.phase,
      advertised: r.advertised,
      locked: r.locked,
      underAttack: r.underAttack,
      telemetry: r.telemetry,
      held: r.held,
      hold: r.hold && {
        actor: r.hold.actor,
        reason: r.hold.reason,
        since: isoOrNull(r.hold.sinceMs),
        sinceMs: r.hold.sinceMs,
        until: isoOrNull(r.hold.untilMs),
        untilMs: r.hold.untilMs,
      },
      calmSince: isoOrNull(r.calmSinceMs),
      calmSinceMs: r.calmSinceMs,
      calmForMs: r.calmForMs,
      calmPeriodMs: r.calmPeriodMs,
      autoWithdrawAt: isoOrNull(r.autoWithdrawAtMs),
      autoWithdrawAtMs: r.autoWithdrawAtMs,
      autoWithdrawInMs: r.autoWithdrawAtMs === null ? null : Math.max(0, r.autoWithdrawAtMs - now),
      withdrawBlockedBy: r.withdrawBlockedBy,
      peak: r.peak && {
        packets: r.peak.packets,
        bits: r.peak.bits,
        mbps: r.peak.mbps,
        systems: r.peak.systems,
        at: isoOrNull(r.peak.atMs),
        atMs: r.peak.atMs,
      },
      shadow: r.shadow,
      shadowWithdrawnAt: isoOrNull(r.shadowWithdrawnAtMs),
      shadowWithdrawnAtMs: r.shadowWithdrawnAtMs,
      shadowNote: shadowVerdict(r, now),
      cooldownUntil: isoOrNull(r.cooldownUntilMs),
      cooldownUntilMs: r.cooldownUntilMs,
      cooldownLeftMs: r.cooldownUntilMs === null ? null : Math.max(0, r.cooldownUntilMs - now),
      advertiseAvailableAt: isoOrNull(r.advertiseAvailableAtMs),
      advertiseAvailableAtMs: r.advertiseAvailableAtMs,
      queuedAdvertise: r.queuedAdvertise && {
        actor: r.queuedAdvertise.actor,
        reason: r.queuedAdvertise.reason,
        requestedAt: isoOrNull(r.queuedAdvertise.requestedAtMs),
        requestedAtMs: r.queuedAdvertise.requestedAtMs,
        lastError: r.queuedAdvertise.lastError,
      },
      lastWithdraw: r.lastWithdraw && {
        eventId: r.lastWithdraw.eventId,
        at: isoOrNull(r.lastWithdraw.atMs),
        atMs: r.lastWithdraw.atMs,
        trigger: r.lastWithdraw.trigger,
        actor: r.lastWithdraw.actor,
      },
      error: r.error,
    })),
  };
}
