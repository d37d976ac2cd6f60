// The demo's live view as text: a status table of the prefixes, the scenario timeline and the Telegram messages.
import type { ProtectionStatus } from '../workflows/types';
import type { Check } from './expectations';
import type { DemoPrefix, TimelineEvent } from './scenario';

export interface PrefixRow {
  prefix: DemoPrefix;
  /** The workflow's status query; null when there is no workflow (or it could not answer). */
  status: ProtectionStatus | null;
  /** The workflow has completed, with this reason. */
  ended: string | null;
  /** What the loopback Cloudflare says now. */
  cloudflare: { advertised: boolean; locked: boolean } | null;
}

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const ESC = '\u001b[';
export const ansi: Paint = {
  red: (s) => `${ESC}31m${s}${ESC}0m`,
  green: (s) => `${ESC}32m${s}${ESC}0m`,
  yellow: (s) => `${ESC}33m${s}${ESC}0m`,
  dim: (s) => `${ESC}2m${s}${ESC}0m`,
  bold: (s) => `${ESC}1m${s}${ESC}0m`,
};
const id = (s: string): string => s;
export const plain: Paint = { red: id, green: id, yellow: id, dim: id, bold: id };

export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function bar(fraction: number, width = 10): string {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** Visible width, ignoring ANSI colour codes. */
function width(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

/** Cuts a line to `cols` visible characters, keeping colour codes intact. */
export function clip(s: string, cols: number): string {
  if (width(s) <= cols) return s;
  let out = '';
  let seen = 0;
  for (let i = 0; i < s.length;) {
    // eslint-disable-next-line no-control-regex
    const esc = /^\u001b\[[0-9;]*m/.exec(s.slice(i));
    if (esc) {
      out += esc[0];
      i += esc[0].length;
      continue;
    }
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    if (seen === cols - 1) return `${out}…\u001b[0m`;
    out += ch;
    seen += 1;
    i += ch.length;
  }
  return out;
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)];
}

function cells(row: PrefixRow, nowMs: number, t0Ms: number | null, p: Paint): string[] {
  const s = row.status;
  const cf = row.cloudflare;
  const cloudflare = cf
    ? `${cf.advertised ? 'advertised' : p.green('withdrawn')}${cf.locked ? p.yellow(' (locked)') : ''}`
    : '?';
  const rel = (ms: number): string =>
    t0Ms === null ? new Date(ms).toISOString().slice(11, 19) : `+${fmtDuration(ms - t0Ms)}`;
  let phase = '—';
  let traffic = '—';
  let calm = '';
  let auto = '—';
  let peak = '—';
  if (s) {
    phase = row.ended ? `ended (${row.ended.replace(/_/g, ' ')})` : s.phase;
    peak = s.peak ? `${s.peak.mbps.toFixed(0)} Mbps` : '—';
    const active = s.phase === 'protecting' || s.phase === 'withdrawing';
    if (active) {
      const unknown = s.telemetry === 'unknown' || s.telemetry === 'lost';
      const since = s.unknownSinceMs === null ? '' : ` ${fmtDuration(nowMs - s.unknownSinceMs)}`;
      if (unknown) traffic = p.yellow(`DATA UNKNOWN${since}${s.telemetry === 'lost' ? ', alerted' : ''}`);
      else if (s.telemetry === 'not_measured') traffic = 'measuring…';
      else if (s.underAttack) traffic = p.red(`ATTACK ${(s.lastMeasurement?.mbps ?? 0).toFixed(0)} Mbps`);
      else traffic = 'calm';
      if (s.underAttack && unknown) traffic = `${p.red('ATTACK')} · ${traffic}`;
      const frac = s.calmPeriodMs > 0 ? s.calmAccumulatedMs / s.calmPeriodMs : 0;
      calm = `${bar(frac)} ${fmtDuration(s.calmAccumulatedMs)}/${fmtDuration(s.calmPeriodMs)}${unknown && s.calmSinceMs !== null ? ' frozen' : ''}`;
      if (s.locked) auto = p.yellow('never (locked)');
      else if (s.held) auto = p.yellow('held by operator');
      else if (s.withdrawDueAtMs !== null) auto = `in ${fmtDuration(s.withdrawDueAtMs - nowMs)}`;
      else if (unknown) auto = 'frozen';
      else if (s.underAttack) auto = 'after calm';
      if (s.shadowWithdrawnAtMs !== null) auto = `would have withdrawn ${rel(s.shadowWithdrawnAtMs)}`;
      if (s.phase === 'withdrawing') auto = 'withdrawing now';
    } else if (s.lastWithdraw) {
      auto = p.green(`withdrawn ${rel(s.lastWithdraw.atMs)}`);
      if (s.phase === 'cooldown' && s.cooldownUntilMs !== null)
        auto += `, cooldown ${fmtDuration(s.cooldownUntilMs - nowMs)}`;
    }
  } else if (row.ended) {
    phase = `ended (${row.ended.replace(/_/g, ' ')})`;
  }
  return [row.prefix.cidr, row.prefix.description, cloudflare, phase, traffic, calm, auto, peak];
}

export function statusTable(rows: PrefixRow[], nowMs: number, t0Ms: number | null, p: Paint = plain): string[] {
  return table(
    ['PREFIX', 'NAME', 'CLOUDFLARE', 'WORKFLOW', 'TRAFFIC', 'CALM', 'AUTO-WITHDRAW', 'PEAK'].map((h) => p.bold(h)),
    rows.map((r) => cells(r, nowMs, t0Ms, p)),
  );
}

export function timelineLines(events: TimelineEvent[], elapsedS: number | null, p: Paint = plain): string[] {
  const next = elapsedS === null ? -1 : events.findIndex((e) => e.atS > elapsedS);
  return events.map((e, i) => {
    const mark = elapsedS !== null && e.atS <= elapsedS ? p.green('✓') : i === next ? p.bold('▶') : ' ';
    return `${mark} +${String(e.atS).padStart(3)}s  ${elapsedS !== null && e.atS <= elapsedS ? p.dim(e.text) : e.text}`;
  });
}

/** A Telegram message as the operators' phones show it, indented under a time stamp. */
export function messageLines(m: { atMs: number; text: string }, t0Ms: number | null): string[] {
  const at = new Date(m.atMs).toISOString().slice(11, 19);
  const rel = t0Ms === null ? '' : ` (+${fmtDuration(m.atMs - t0Ms)})`;
  const body = m.text.split('\n').filter((l) => l.trim() !== '');
  return [`📨 ${at}${rel}`, ...body.map((l) => `   ${l}`)];
}

export function outcomeLines(checks: Check[], p: Paint = plain): string[] {
  const failed = checks.filter((c) => !c.ok).length;
  return [
    ...checks.map((c) => `${c.ok ? p.green('✓') : p.red('✗')} ${c.text}`),
    failed === 0
      ? p.green(`All ${checks.length} expected outcomes happened.`)
      : p.red(`${failed} of ${checks.length} expected outcomes did not happen.`),
  ];
}
