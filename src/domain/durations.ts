// Parses operator durations ("15m", "60s", "1h30m", "500ms") and formats them for people ("3m 21s").

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Parses "15m", "60s", "1h30m", "1.5h", "250ms". Throws an Error naming the bad text. */
export function parseDuration(text: string): number {
  const s = text.trim().toLowerCase();
  if (s === '') throw new Error('empty duration');
  if (/^\d+(\.\d+)?$/.test(s)) throw new Error(`"${text}" has no unit; write it like 15m, 60s or 1h`);
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = PART.exec(s)) !== null) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    consumed = PART.lastIndex;
  }
  if (consumed !== s.length) throw new Error(`"${text}" is not a duration; write it like 15m, 60s, 1h30m or 500ms`);
  return Math.round(total);
}

/** "3m 21s", "1h 05m", "45s", "0s"; sub-second values as "250ms". */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  if (rest < 1000 && rest > 0) return `${sign}${rest}ms`;
  rest = Math.round(rest / 1000);
  const d = Math.floor(rest / 86_400);
  const h = Math.floor((rest % 86_400) / 3600);
  const m = Math.floor((rest % 3600) / 60);
  const s = rest % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (d > 0) return `${sign}${d}d ${h}h ${pad(m)}m`;
  if (h > 0) return `${sign}${h}h ${pad(m)}m`;
  if (m > 0) return `${sign}${m}m ${pad(s)}s`;
  return `${sign}${s}s`;
}

/** Compact form for timer summaries and logs: "60s", "15m", "1h30m", "250ms". */
export function compactDuration(ms: number): string {
  if (ms % 1000 !== 0 || ms < 1000) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s';
}
