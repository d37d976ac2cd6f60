// The workflow's "current details" in the Web UI: the live protection status as a short markdown table.
import { formatAtAndIn, formatUtc } from '../domain/clock-format';
import { formatDuration } from '../domain/durations';
import type { ProtectionStatus } from './types';

/** Markdown for setCurrentDetails: what an operator needs at a glance, without running a query. */
export function renderDetails(st: ProtectionStatus): string {
  const now = st.nowMs;
  const rows: Array<[string, string]> = [
    ['State', `**${st.state}**${st.shadow ? ' (shadow mode)' : ''}`],
    ['Advertised', st.advertised === null ? 'unknown' : st.advertised ? 'yes' : 'no'],
    ['Locked', st.locked ? 'yes' : 'no'],
  ];
  if (st.phase === 'protecting' || st.phase === 'withdrawing') {
    rows.push(['Traffic', st.underAttack ? '🔴 under attack' : trafficText(st)]);
    if (st.calmSinceMs !== null && !st.underAttack)
      rows.push([
        'Calm',
        `since ${formatUtc(st.calmSinceMs, now)}: ${formatDuration(st.calmAccumulatedMs)} of ${formatDuration(st.calmPeriodMs)}`,
      ]);
    if (st.withdrawDueAtMs !== null && !st.held) rows.push(['Auto-withdraw', formatAtAndIn(st.withdrawDueAtMs, now)]);
    if (st.peak)
      rows.push([
        'Peak',
        `${st.peak.packets} pkts, ${st.peak.mbps.toFixed(1)} Mbps (${st.peak.systems.join(', ') || 'n/a'})`,
      ]);
  }
  if (st.hold) {
    const until = st.hold.untilMs === null ? 'until resumed' : `until ${formatAtAndIn(st.hold.untilMs, now)}`;
    rows.push(['Held', `by ${st.hold.actor} ${until}: ${st.hold.reason}`]);
  }
  if (st.cooldownUntilMs !== null) rows.push(['Cooldown', `until ${formatAtAndIn(st.cooldownUntilMs, now)}`]);
  if (st.queuedAdvertise) {
    const at = st.advertiseAvailableAtMs ?? now;
    rows.push(['Queued advertise', `by ${st.queuedAdvertise.actor}, at ${formatAtAndIn(at, now)}`]);
  }
  if (st.lastWithdraw)
    rows.push([
      'Last withdraw',
      `${st.lastWithdraw.eventId} (${st.lastWithdraw.trigger}${st.lastWithdraw.actor ? ` by ${st.lastWithdraw.actor}` : ''})`,
    ]);
  if (st.shadowWithdrawnAtMs !== null)
    rows.push([
      'Shadow decision',
      `would have withdrawn at ${formatUtc(st.shadowWithdrawnAtMs, now)}; nothing more is decided until a new attack`,
    ]);
  if (st.withdrawBlockedBy === 'reconfirming')
    rows.push(['Re-confirming', 'calm after a dark gap: a full lookback window of fresh calm readings first']);
  if (st.withdrawDeferrals.cycles > 0)
    rows.push([
      'Withdraw deferred',
      `${st.withdrawDeferrals.cycles} cycle(s): Cloudflare state unreadable (${st.withdrawDeferrals.lastError ?? ''})`,
    ]);
  if (st.lastAdvertiseFailure)
    rows.push([
      'Queued advertise failed',
      `from ${st.lastAdvertiseFailure.actor} at ${formatUtc(st.lastAdvertiseFailure.atMs, now)}: ${st.lastAdvertiseFailure.error}`,
    ]);
  if (st.withdrawFailures.rounds > 0)
    rows.push(['Withdraw failures', `${st.withdrawFailures.rounds}: ${st.withdrawFailures.lastError ?? ''}`]);
  if (st.lastCycleAtMs !== null) rows.push(['Last cycle', `${formatUtc(st.lastCycleAtMs, now)} (#${st.cycles})`]);
  const table = rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`).join('\n');
  return `### ${st.cidr} ${st.description ? `— ${st.description}` : ''}\n\n| | |\n|---|---|\n${table}\n`;
}

function trafficText(st: ProtectionStatus): string {
  if (st.telemetry === 'not_measured') return 'not measured yet';
  if (st.telemetry !== 'ok') return `⚠️ unknown (${st.unknownReason ?? 'no data'}): calm timer frozen`;
  const m = st.lastMeasurement;
  return m ? `🟢 calm (${m.packets} pkts dropped in the last window)` : '🟢 calm';
}
