// Renders Notification values to Telegram HTML (one renderer per kind), splits long messages, and gives plain text.
import type { PeakStats } from '../domain/types';
import { b, code, escapeHtml, htmlToPlainText, i } from './html';
import type { Notification } from './types';

export const DEFAULT_FOOTER = 'mt-autowithdraw · Cloudflare Magic Transit';
export const TELEGRAM_MESSAGE_LIMIT = 4096;

export interface RenderOptions {
  /** Last line of every message; default DEFAULT_FOOTER; an empty string drops it. */
  footer?: string;
  /** Timestamps are always ISO 8601 UTC; the option exists so callers state it. */
  timeZone?: 'UTC';
}

type Of<K extends Notification['kind']> = Extract<Notification, { kind: K }>;

const HEADER = `🛡️ ${b('CLOUDFLARE DDoS PROTECTION')}`;

// ---------------------------------------------------------------------------------------------------------------
// Value formatting (plain text; callers escape).

/** "1,250,000". Non-finite values print as "n/a". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1,234.57 Mbps" (two decimals). */
export function formatMbps(mbps: number): string {
  if (!Number.isFinite(mbps)) return 'n/a';
  const [whole = '0', frac = '00'] = Math.abs(mbps).toFixed(2).split('.');
  return `${mbps < 0 ? '-' : ''}${formatCount(Number(whole))}.${frac} Mbps`;
}

/** "42s", "15m 12s", "2h 5m", "3d 4h": the two largest non-zero units, truncated to whole seconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let s = Math.floor(ms / 1000);
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  for (const [label, size] of units) {
    const q = Math.floor(s / size);
    s -= q * size;
    if (q > 0 || parts.length > 0) parts.push(`${q}${label}`);
    if (parts.length === 2) break;
  }
  const nonZero = parts.filter((p) => !/^0[a-z]$/.test(p));
  return nonZero.length > 0 ? nonZero.join(' ') : '0s';
}

/** "2026-01-19T14:30:00Z" (UTC, whole seconds). */
export function formatTimestamp(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks (return HTML).

/** "emoji Label: value" where value is plain text (escaped here). */
function line(emoji: string, label: string, value: string): string {
  return `${emoji} ${escapeHtml(label)}: ${escapeHtml(value)}`;
}

/** Same, with a monospace value. */
function lineCode(emoji: string, label: string, value: string): string {
  return `${emoji} ${escapeHtml(label)}: ${code(value)}`;
}

function section(name: string): string {
  return b(name);
}

function title(emoji: string, text: string): string {
  return `${emoji} ${b(text)}`;
}

function prefixBlock(prefix: { cidr: string; description: string }): string[] {
  return [
    section('PREFIX INFO'),
    lineCode('🌐', 'Prefix', prefix.cidr),
    line('🏷️', 'Description', prefix.description.trim() === '' ? '(none)' : prefix.description),
  ];
}

function peakBlock(peak: PeakStats | null): string[] {
  if (!peak) return [line('📦', 'Peak', 'no attack traffic observed')];
  return [
    line(
      '📦',
      'Peak dropped packets',
      `${formatCount(peak.packets)} pkts${peak.pps !== undefined ? ` (${formatCount(peak.pps)} pps)` : ''}`,
    ),
    line('📈', 'Peak dropped traffic', formatMbps(peak.mbps)),
    line('🔧', 'Mitigation systems', peak.systems.length > 0 ? peak.systems.join(', ') : 'none reported'),
    line('⏱️', 'Peak seen at', formatTimestamp(peak.atMs)),
    line('🚨', 'Attack first seen', formatTimestamp(peak.firstAttackAtMs)),
  ];
}

function stamp(atMs: number): string {
  return line('🕒', 'Timestamp', formatTimestamp(atMs));
}

function assemble(blocks: Array<Array<string | null | undefined>>, footer: string): string {
  const parts = blocks.map((lines) => lines.filter((l): l is string => typeof l === 'string').join('\n'));
  if (footer !== '') parts.push(i(footer));
  return parts.filter((p) => p !== '').join('\n\n');
}

// ---------------------------------------------------------------------------------------------------------------
// One renderer per kind. Each returns blocks; the footer is added by assemble().

type Blocks = Array<Array<string | null | undefined>>;

function workerStarted(n: Of<'worker_started'>): Blocks {
  return [
    [HEADER, title('🚀', 'AUTO-WITHDRAW WORKER STARTED')],
    [
      line('🖥️', 'Server', n.host),
      line('🕊️', 'Calm period', formatDuration(n.calmPeriodMs)),
      line('🔄', 'Check interval', formatDuration(n.checkIntervalMs)),
      line('📋', 'Prefixes monitored', formatCount(n.prefixCount)),
      n.shadow
        ? line('🧪', 'Mode', 'SHADOW (decisions are logged and announced, no prefix is changed)')
        : line('⚙️', 'Mode', 'LIVE (withdraws prefixes for real)'),
    ],
    [stamp(n.atMs)],
  ];
}

function prefixWithdrawn(n: Of<'prefix_withdrawn'>): Blocks {
  const heading = n.shadow
    ? title('🧪', 'SHADOW MODE — would withdraw, nothing changed')
    : n.trigger === 'auto'
      ? title('✅', 'PREFIX AUTO-WITHDRAWN')
      : title('🖐️', 'MANUAL PREFIX WITHDRAWAL');
  const triggerLine =
    n.trigger === 'auto'
      ? line('🤖', 'Trigger', 'automatic (calm period elapsed)')
      : line('👤', 'Trigger', `manual${n.actor ? ` by ${n.actor}` : ''}`);
  const bgp = n.shadow
    ? [
        line('📤', 'Action', `none (shadow mode; a live run would withdraw this prefix)`),
        line('🛣️', 'Routing', 'unchanged (still via Magic Transit)'),
      ]
    : [line('📤', 'Action', 'Withdrawn'), line('🛣️', 'Routing', 'Direct (Magic Transit OFF)')];
  return [
    [HEADER, heading],
    [lineCode('🔖', 'Event ID', n.eventId), triggerLine],
    prefixBlock(n.prefix),
    [section('ATTACK PEAK STATS'), line('🕊️', 'Calm duration', formatDuration(n.calmMs)), ...peakBlock(n.peak)],
    [section('BGP STATUS'), ...bgp],
    [stamp(n.atMs)],
  ];
}

function prefixAdvertised(n: Of<'prefix_advertised'>): Blocks {
  const heading = n.shadow
    ? title('🧪', 'SHADOW MODE — would advertise, nothing changed')
    : n.trigger === 'manual'
      ? title('📣', 'MANUAL PREFIX ADVERTISEMENT')
      : title('📣', 'QUEUED PREFIX ADVERTISEMENT DONE');
  const triggerLine =
    n.trigger === 'manual'
      ? line('👤', 'Trigger', `manual${n.actor ? ` by ${n.actor}` : ''}`)
      : line('⏳', 'Trigger', `queued request${n.actor ? ` from ${n.actor}` : ''}, sent once Cloudflare allowed it`);
  const bgp = n.shadow
    ? [
        line('📥', 'Action', 'none (shadow mode; a live run would advertise this prefix)'),
        line('🛣️', 'Routing', 'unchanged'),
      ]
    : [line('📥', 'Action', 'Advertised'), line('🛣️', 'Routing', 'via Cloudflare (Magic Transit ON)')];
  return [
    [HEADER, heading],
    [lineCode('🔖', 'Event ID', n.eventId), triggerLine],
    prefixBlock(n.prefix),
    [section('BGP STATUS'), ...bgp],
    [stamp(n.atMs)],
  ];
}

function withdrawFailed(n: Of<'withdraw_failed'>): Blocks {
  const next =
    n.nextAttemptAtMs !== null
      ? line('🔁', 'Next automatic attempt', formatTimestamp(n.nextAttemptAtMs))
      : line('🛑', 'Next automatic attempt', 'none, retries are exhausted');
  return [
    [HEADER, title('❌', 'WITHDRAWAL FAILED — action required')],
    [lineCode('🔖', 'Event ID', n.eventId)],
    prefixBlock(n.prefix),
    [
      section('ERROR'),
      `<pre>${escapeHtml(n.error.trim() === '' ? '(no error text)' : n.error)}</pre>`,
      line('🔢', 'Attempts', formatCount(n.attempts)),
      next,
    ],
    [
      section('BGP STATUS'),
      line('⚠️', 'Withdrawal', 'NOT confirmed; the prefix is probably still advertised via Magic Transit'),
      n.nextAttemptAtMs === null
        ? `👉 ${b('Manual intervention needed:')} ${escapeHtml('retries are exhausted; check the prefix in the Cloudflare dashboard and withdraw it by hand once the attack is over.')}`
        : `👉 ${b('Action required:')} ${escapeHtml('check the prefix in the Cloudflare dashboard; manual intervention is needed if the next attempt fails too.')}`,
    ],
    [stamp(n.atMs)],
  ];
}

function telemetryLost(n: Of<'telemetry_lost'>): Blocks {
  return [
    [HEADER, title('📡', 'TRAFFIC DATA LOST — auto-withdraw frozen')],
    prefixBlock(n.prefix),
    [
      `🧊 ${escapeHtml(`Auto-withdraw is frozen for ${n.prefix.cidr} until traffic data is back.`)} ${escapeHtml(
        'The prefix stays as it is (no withdraw without data).',
      )}`,
      line(
        '⏱️',
        'No data since',
        `${formatTimestamp(n.unknownSinceMs)} (${formatDuration(n.atMs - n.unknownSinceMs)} ago)`,
      ),
      lineCode('❓', 'Reason', n.reason.trim() === '' ? 'unknown' : n.reason),
      line('🕊️', 'Calm before the gap', formatDuration(n.calmMs)),
      line(
        n.underAttack ? '🔥' : '🌤️',
        'Last known state',
        n.underAttack ? 'UNDER ATTACK' : 'calm (no attack traffic)',
      ),
    ],
    [stamp(n.atMs)],
  ];
}

function telemetryRestored(n: Of<'telemetry_restored'>): Blocks {
  return [
    [HEADER, title('📶', 'TRAFFIC DATA RESTORED')],
    prefixBlock(n.prefix),
    [
      `▶️ ${escapeHtml(`Auto-withdraw resumed for ${n.prefix.cidr}.`)}`,
      line('⏱️', 'Data was missing for', formatDuration(n.lostForMs)),
    ],
    [stamp(n.atMs)],
  ];
}

function withdrawSkippedLocked(n: Of<'withdraw_skipped_locked'>): Blocks {
  return [
    [HEADER, title('🔒', 'WITHDRAW SKIPPED — PREFIX LOCKED')],
    prefixBlock(n.prefix),
    [
      `ℹ️ ${escapeHtml(
        'The calm period elapsed, but the prefix is locked (Cloudflare on-demand lock or the operator mapping), so it stays advertised. No change was made.',
      )}`,
    ],
    [stamp(n.atMs)],
  ];
}

function withdrawDeferred(n: Of<'withdraw_deferred'>): Blocks {
  return [
    [HEADER, title('⏸️', 'WITHDRAW DEFERRED — Cloudflare state unreadable')],
    prefixBlock(n.prefix),
    [
      `ℹ️ ${escapeHtml(
        'The calm period is over, but the prefix state could not be read from Cloudflare right before the withdraw, so nothing was changed. It is tried again every cycle.',
      )}`,
      line('🔁', 'Cycles deferred', formatCount(n.cycles)),
      line('⏱️', 'Deferred since', formatTimestamp(n.sinceMs)),
      section('ERROR'),
      `<pre>${escapeHtml(n.error.trim() === '' ? '(no error text)' : n.error)}</pre>`,
    ],
    [
      section('BGP STATUS'),
      line('🛣️', 'Routing', 'unchanged (still via Magic Transit)'),
      `👉 ${b('Check:')} ${escapeHtml('the Cloudflare API token and the API status; withdraw by hand if it stays like this.')}`,
    ],
    [stamp(n.atMs)],
  ];
}

function advertiseFailed(n: Of<'advertise_failed'>): Blocks {
  return [
    [HEADER, title('❌', 'QUEUED ADVERTISE FAILED — prefix NOT protected')],
    prefixBlock(n.prefix),
    [
      line('👤', 'Queued by', n.actor),
      line('⏳', 'Queued at', formatTimestamp(n.requestedAtMs)),
      section('ERROR'),
      `<pre>${escapeHtml(n.error.trim() === '' ? '(no error text)' : n.error)}</pre>`,
    ],
    [
      section('BGP STATUS'),
      line('⚠️', 'Advertisement', 'NOT made; the prefix is not routed via Magic Transit'),
      `👉 ${b('Action required:')} ${escapeHtml('the queued request was dropped; advertise the prefix again once the cause is fixed.')}`,
    ],
    [stamp(n.atMs)],
  ];
}

const ENDED_WHY: Record<Of<'protection_ended'>['reason'], string> = {
  not_on_demand: 'Cloudflare reports no on-demand advertisement state for this prefix (on-demand disabled)',
  prefix_missing: 'Cloudflare does not know this BGP prefix any more (deleted, or a wrong bgp_prefix_id)',
};

function protectionEnded(n: Of<'protection_ended'>): Blocks {
  return [
    [HEADER, title('🛑', 'PROTECTION ENDED — prefix no longer controllable')],
    prefixBlock(n.prefix),
    [
      line('❓', 'Why', ENDED_WHY[n.reason]),
      lineCode('🔎', 'Detail', n.detail.trim() === '' ? 'none' : n.detail),
      `ℹ️ ${escapeHtml('No change was made. Auto-withdraw stops watching this prefix until it is advertised on demand again.')}`,
    ],
    [stamp(n.atMs)],
  ];
}

function prefixMissing(n: Of<'prefix_missing'>): Blocks {
  return [
    [HEADER, title('⚠️', 'PREFIX MISSING AT CLOUDFLARE — not protected')],
    prefixBlock(n.prefix),
    [
      lineCode('🧩', 'IP prefix (parent) ID', n.parentPrefixId),
      lineCode('🧩', 'BGP prefix ID', n.bgpPrefixId),
      `👉 ${b('Check the prefix mapping:')} ${escapeHtml(
        'Cloudflare does not list this BGP prefix under its parent, so nothing watches or withdraws it.',
      )}`,
    ],
    [stamp(n.atMs)],
  ];
}

/** "1.25 Gb", "980.00 Mb", "12.00 kb": an amount of data (not a rate). */
export function formatBits(bits: number): string {
  if (!Number.isFinite(bits)) return 'n/a';
  const units: Array<[string, number]> = [
    ['Gb', 1e9],
    ['Mb', 1e6],
    ['kb', 1e3],
  ];
  for (const [unit, size] of units) if (Math.abs(bits) >= size) return `${(bits / size).toFixed(2)} ${unit}`;
  return `${formatCount(bits)} b`;
}

/** How many attacks one summary message details; the rest are counted. */
const ATTACKS_SHOWN = 5;

function networkAttacksDetected(n: Of<'network_attacks_detected'>): Blocks {
  const shown = n.attacks.slice(0, ATTACKS_SHOWN);
  const attackBlocks: Blocks = shown.map((a, k) => [
    section(`ATTACK ${k + 1} of ${n.attacks.length}`),
    a.attackId !== null
      ? lineCode('🆔', 'Attack ID', a.attackId)
      : line('🆔', 'Attack ID', 'none (drops without an attack ID)'),
    line('💥', 'Vector', a.attackVector ?? 'not reported'),
    a.ruleName !== null ? line('📋', 'Rule', a.ruleName) : null,
    line('🎯', 'Targets', a.topTargets.map((t) => t.value).join(', ') || 'not reported'),
    line('📦', 'Dropped', `${formatCount(a.packets)} pkts, ${formatBits(a.bits)} (${formatCount(a.events)} samples)`),
    line(
      '🌍',
      'Sources',
      `${formatCount(a.distinctSources)} distinct${a.topSources.length ? `; top: ${a.topSources.map((s) => s.value).join(', ')}` : ''}`,
    ),
    a.protocols.length ? line('🔧', 'Protocols', a.protocols.join(', ')) : null,
    a.colos.length ? line('📍', 'Scrubbed at', a.colos.join(', ')) : null,
    line('⏱️', 'Seen', `${formatTimestamp(a.firstSeenMs)} → ${formatTimestamp(a.lastSeenMs)}`),
  ]);
  const more = n.attacks.length - shown.length;
  return [
    [HEADER, title('🚨', `NEW ATTACK${n.attacks.length === 1 ? '' : 'S'} MITIGATED (network analytics)`)],
    [
      line('🆕', 'New attacks', formatCount(n.attacks.length)),
      line(
        '🗂️',
        'Events recorded',
        `${formatCount(n.newEvents)}${n.continuingEvents ? ` (${formatCount(n.continuingEvents)} of attacks seen before)` : ''}`,
      ),
      line('🔎', 'Window', `${formatTimestamp(n.windowStartMs)} → ${formatTimestamp(n.windowEndMs)}`),
      n.truncated ? line('⚠️', 'Row limit reached', 'smaller groups may be missing from this run') : null,
    ],
    ...attackBlocks,
    more > 0 ? [`➕ ${escapeHtml(`${more} more new attack${more === 1 ? '' : 's'} in network_analytics_events`)}`] : [],
    [stamp(n.atMs)],
  ];
}

function blocksFor(n: Notification): Blocks {
  switch (n.kind) {
    case 'worker_started':
      return workerStarted(n);
    case 'prefix_withdrawn':
      return prefixWithdrawn(n);
    case 'prefix_advertised':
      return prefixAdvertised(n);
    case 'withdraw_failed':
      return withdrawFailed(n);
    case 'telemetry_lost':
      return telemetryLost(n);
    case 'telemetry_restored':
      return telemetryRestored(n);
    case 'withdraw_skipped_locked':
      return withdrawSkippedLocked(n);
    case 'network_attacks_detected':
      return networkAttacksDetected(n);
    case 'withdraw_deferred':
      return withdrawDeferred(n);
    case 'advertise_failed':
      return advertiseFailed(n);
    case 'protection_ended':
      return protectionEnded(n);
    case 'prefix_missing':
      return prefixMissing(n);
    default: {
      const unknown: never = n;
      throw new Error(`unknown notification kind: ${(unknown as { kind: string }).kind}`);
    }
  }
}

/** Telegram HTML for one notification; every dynamic value is escaped. */
export function renderNotification(n: Notification, opts: RenderOptions = {}): string {
  return assemble(blocksFor(n), opts.footer ?? DEFAULT_FOOTER);
}

/** Plain text of a rendered message (tags stripped, entities decoded), for logs and terminals. */
export function plainTextOf(html: string): string {
  return htmlToPlainText(html);
}

// ---------------------------------------------------------------------------------------------------------------
// Splitting.

type Token =
  | { t: 'open'; raw: string; name: string }
  | { t: 'close'; raw: string; name: string }
  | { t: 'text'; raw: string; len: number; sep: 'nl' | 'space' | null };

const TAG_AT = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(?:\s+[^\s=>/"'<]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*>/y;
const ENTITY_AT = /&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]*);/y;

function tokenize(html: string): Token[] {
  const tokens: Token[] = [];
  let k = 0;
  while (k < html.length) {
    const ch = html[k]!;
    if (ch === '<') {
      TAG_AT.lastIndex = k;
      const m = TAG_AT.exec(html);
      if (m) {
        const name = (m[2] ?? '').toLowerCase();
        tokens.push(m[1] === '/' ? { t: 'close', raw: m[0], name } : { t: 'open', raw: m[0], name });
        k += m[0].length;
        continue;
      }
    } else if (ch === '&') {
      ENTITY_AT.lastIndex = k;
      const m = ENTITY_AT.exec(html);
      if (m) {
        tokens.push({ t: 'text', raw: m[0], len: htmlToPlainText(m[0]).length, sep: null });
        k += m[0].length;
        continue;
      }
    }
    // One code point (never half a surrogate pair).
    const cp = html.codePointAt(k)!;
    const raw = String.fromCodePoint(cp);
    tokens.push({ t: 'text', raw, len: raw.length, sep: raw === '\n' ? 'nl' : /^\s$/.test(raw) ? 'space' : null });
    k += raw.length;
  }
  return tokens;
}

/**
 * Splits Telegram HTML into messages whose text (after entity parsing, in UTF-16 units) fits `limit`.
 * Never cuts inside a tag, an entity or a surrogate pair; tags open at a cut are closed and reopened in the
 * next part. Prefers cutting at a newline, then at a space (the separator is dropped), then anywhere.
 */
export function splitForTelegram(text: string, limit = TELEGRAM_MESSAGE_LIMIT): string[] {
  if (!Number.isInteger(limit) || limit < 2) throw new RangeError('limit must be an integer >= 2');
  if (htmlToPlainText(text).length <= limit) return [text];

  const tokens = tokenize(text);
  const parts: string[] = [];
  let stack: Array<{ name: string; raw: string }> = [];
  let start = 0;
  while (start < tokens.length) {
    // Walk forward as far as the limit allows, remembering the last good separators.
    let len = 0;
    let j = start;
    let lastNl = -1;
    let lastSpace = -1;
    while (j < tokens.length) {
      const tok = tokens[j]!;
      if (tok.t === 'text') {
        if (len + tok.len > limit && len > 0) break;
        len += tok.len;
        if (tok.sep === 'nl' && len > limit / 2) lastNl = j;
        if (tok.sep !== null && len > limit / 2) lastSpace = j;
      }
      j += 1;
    }
    let end = j;
    let next = j;
    if (j < tokens.length) {
      const cut = lastNl >= 0 ? lastNl : lastSpace;
      if (cut >= 0) {
        end = cut;
        next = cut + 1;
      }
    }
    const reopen = stack.map((s) => s.raw).join('');
    let body = '';
    let plain = '';
    for (let k = start; k < end; k++) {
      const tok = tokens[k]!;
      body += tok.raw;
      if (tok.t === 'open') stack.push({ name: tok.name, raw: tok.raw });
      else if (tok.t === 'close') {
        const idx = stack.map((s) => s.name).lastIndexOf(tok.name);
        if (idx >= 0) stack = stack.slice(0, idx);
      } else plain += tok.raw;
    }
    const closeAll = [...stack]
      .reverse()
      .map((s) => `</${s.name}>`)
      .join('');
    if (htmlToPlainText(plain).trim() !== '') parts.push(reopen + body + closeAll);
    start = next;
  }
  return parts;
}
