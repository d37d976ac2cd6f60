// Reads the worker's Prometheus endpoint (SDK metrics): counters, and histogram quantiles between two scrapes.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export type Scrape = Sample[];

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Only the SDK's series (temporal_*): the per-prefix gauges are large at scale and not needed here. */
export function parseProm(text: string, prefix = 'temporal_'): Scrape {
  const out: Scrape = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(url: string, timeoutMs = 30_000): Promise<Scrape | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? parseProm(await res.text()) : null;
  } catch {
    return null;
  }
}

/** Sum of a series over every label set matching the filter. */
export function total(s: Scrape | null, name: string, filter: Record<string, string> = {}): number {
  if (!s) return NaN;
  return s
    .filter((x) => x.name === name && Object.entries(filter).every(([k, v]) => x.labels[k] === v))
    .reduce((a, x) => a + x.value, 0);
}

/**
 * The quantile of a histogram's observations between two scrapes, as the upper bound of the bucket holding it
 * (the SDK's buckets are coarse: 0.1, 0.5, 1, 5, 10 … s). NaN when nothing was observed.
 */
export function quantileBetween(
  before: Scrape | null,
  after: Scrape | null,
  name: string,
  q: number,
  filter: Record<string, string> = {},
): number {
  if (!after) return NaN;
  const buckets = new Map<number, number>();
  const add = (s: Scrape | null, sign: number): void => {
    for (const x of s ?? []) {
      if (x.name !== `${name}_bucket`) continue;
      if (!Object.entries(filter).every(([k, v]) => x.labels[k] === v)) continue;
      const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + sign * x.value);
    }
  };
  add(after, 1);
  add(before, -1);
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  if (count <= 0) return NaN;
  for (const [le, cumulative] of sorted) if (cumulative >= q * count) return le;
  return Infinity;
}
