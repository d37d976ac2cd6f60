// The figures of every N as markdown tables, with the reasons an N broke and the likeliest cause.
import type { ScaleOptions } from './options';
import type { PhaseFigures, SizeResult } from './run-size';

const num = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
const ms = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : v >= 10_000
      ? `${(v / 1000).toFixed(0)} s`
      : `${Math.round(v)} ms`;
const secs = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v / 1000).toFixed(1)} s`;
const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(0)}%` : '—');
const cores = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '—');
const q = (v: number): string => (Number.isFinite(v) ? (v === Infinity ? '> max' : `≤ ${v} s`) : '—');

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function rest(f: PhaseFigures): string {
  return `${num(f.rest.perCycle, 2)} (${f.rest.list}/${f.rest.get}/${f.rest.patch}; ${num(f.rest.perSupervisorCycle, 1)}/sup.)`;
}

const LEGEND = `<details><summary>Columns (docs/scale.md has more)</summary>

- cycles/s: measurement activities per second over all prefixes (the worker's SDK metrics); of expected = N per interval.
- lag: when a cycle's measurement started minus when the cycle was due (the previous cycle + one interval), from the
  histories of the sampled prefixes; a late cycle the workflow moved forward keeps its full lag. skipped: grid points
  the sampled prefixes jumped over.
- RSS: largest resident memory of the worker process and of the dev server process (each with its children).
- REST/cycle: Cloudflare REST calls (list, get, PATCH) per interval; per sup. cycle: per supervisor reconcile.
  GraphQL/cycle: analytics queries per interval (1.00 = one per account per cycle).
- events/prefix-h: history events per prefix per hour, counted in the sampled histories during the phase.
- continue-as-new: runs ended by continue-as-new over all prefixes; longest run: the longest ended run seen in the
  sample (events, seconds).
- lag p99 parts: timer (timer fired after the due time: server), wf task (timer fired to activity scheduled: the
  worker's workflow tasks), activity (activity scheduled to started: slots and pollers).
- CPU: cores used by the worker and the server during the phase; per cycle: that CPU divided by the cycles (idle
  costs included, so small N overstate it).
- sched→start p99: SDK histograms, as the upper bound of the bucket (coarse: 0.1, 0.5, 1, 5, 10 s).
- cache: cached workflows at the end; evictions and misses mean full history replays.
- restart: SIGTERM to exit, a new worker answering queries, then 50%, 90% and 99% of the advertised prefixes
  measured again.
</details>`;

export function renderReport(results: SizeResult[], o: ScaleOptions, context: string): string {
  const out: string[] = [context, ''];
  out.push(
    table(
      [
        'N',
        'held',
        'cycles/s (of expected)',
        'lag p50 / p99 / max',
        'skipped / sampled cycles',
        'worker RSS',
        'server RSS',
        'REST/cycle (list/get/patch; per sup. cycle)',
        'GraphQL/cycle',
        'events/prefix-h',
        'continue-as-new (per prefix-h)',
        'longest run',
      ],
      results.map((r) => {
        const s = r.steady;
        const runs = r.runs;
        return [
          String(r.n),
          r.held ? 'yes' : '**no**',
          s ? `${num(s.cyclesPerSecond, 1)} (${pct(s.ofExpected)})` : '—',
          s ? `${ms(s.lagP50Ms)} / ${ms(s.lagP99Ms)} / ${ms(s.lagMaxMs)}` : '—',
          s ? `${s.skipped} / ${s.sampledCycles}` : '—',
          s ? `${num(s.workerRssMB)} MB` : '—',
          s ? `${num(s.serverRssMB)} MB` : '—',
          s ? rest(s) : '—',
          s ? num(s.graphqlPerCycle, 2) : '—',
          s ? num(s.eventsPerPrefixHour) : '—',
          runs ? `${num(runs.continueAsNew)} (${num(runs.perPrefixHour, 1)})` : '—',
          runs
            ? runs.longestRunEvents !== null
              ? `${runs.longestRunEvents} events / ${num(runs.longestRunSeconds)} s`
              : `none ended; open ≤ ${runs.openRunEventsMax} events`
            : '—',
        ];
      }),
    ),
  );
  if (o.attack) {
    out.push(
      '',
      '**Attack phase** (surge past the row limit, then every attack ends and the attacked cohort is withdrawn)',
      '',
    );
    out.push(
      table(
        [
          'N',
          'cut-off / attack answers (sample)',
          'withdrawn',
          'withdraw delay p50 / max',
          'lag p99',
          'skipped / sampled cycles',
          'GraphQL/cycle',
          'REST (list/get/patch)',
          'worker RSS',
          'events/prefix-h',
        ],
        results.map((r) => {
          const a = r.attack;
          if (!a) return [String(r.n), '—', '—', '—', '—', '—', '—', '—', '—', '—'];
          return [
            String(r.n),
            `${a.cutOffReadings} / ${a.attackReadings}`,
            `${a.withdrawn}/${a.cohort}`,
            `${ms(a.delayP50Ms)} / ${ms(a.delayMaxMs)}`,
            ms(a.lagP99Ms),
            `${a.skipped} / ${a.sampledCycles}`,
            num(a.graphqlPerCycle, 2),
            `${a.rest.list}/${a.rest.get}/${a.rest.patch}`,
            `${num(a.workerRssMB)} MB`,
            num(a.eventsPerPrefixHour),
          ];
        }),
      ),
    );
  }
  out.push('', '**Diagnostics** (steady phase)', '');
  out.push(
    table(
      [
        'N',
        'start-up',
        'ramp',
        'CPU cores worker / server (CPU per cycle)',
        'lag p99: timer / wf task / activity',
        'WFT / activity sched→start p99',
        'cache size / evictions / misses',
        'supervisor events/h, runs, state',
        'restart: stop / up / 50%, 90%, 99% measured again',
        'warn / error lines',
      ],
      results.map((r) => {
        const s = r.steady;
        const runs = r.runs;
        return [
          String(r.n),
          secs(r.startupMs),
          r.rampMs !== null && r.rampCpu
            ? `${secs(r.rampMs)} (${num(r.n / (r.rampMs / 1000), 0)}/s; CPU ${cores(r.rampCpu.worker)} / ${cores(r.rampCpu.server)})`
            : '—',
          s
            ? `${cores(s.workerCpuCores)} / ${cores(s.serverCpuCores)} (${num((1000 * s.workerCpuCores) / s.cyclesPerSecond, 1)} / ${num((1000 * s.serverCpuCores) / s.cyclesPerSecond, 1)} ms per cycle)`
            : '—',
          s ? `${ms(s.timerLateP99Ms)} / ${ms(s.workflowTaskP99Ms)} / ${ms(s.activityQueueP99Ms)}` : '—',
          s ? `${q(s.wftScheduleToStartP99s)} / ${q(s.activityScheduleToStartP99s)}` : '—',
          s ? `${num(s.cacheSize)} / ${num(s.cacheEvictions)} / ${num(s.cacheMisses)}` : '—',
          runs && s
            ? `${num(s.supervisorEventsPerHour)}, ${runs.supervisorRuns}, ${num(runs.supervisorInputKB)} KB`
            : '—',
          r.restart
            ? `${secs(r.restart.stopMs)} / ${secs(r.restart.startupMs)} / ${secs(r.restart.recovered50Ms)}, ${secs(r.restart.recovered90Ms)}, ${secs(r.restart.recoveredMs)}`
            : '—',
          s ? `${s.warnLines} / ${s.errorLines}` : '—',
        ];
      }),
    ),
  );
  const notes = results.filter((r) => !r.held || r.diagnosis.length || r.problems.length);
  if (notes.length) {
    out.push('', '**Where it breaks, and why**', '');
    for (const r of notes) {
      out.push(`- N=${r.n}: ${r.held ? 'held' : `broke: ${r.reasons.join('; ')}`}`);
      for (const d of r.diagnosis) out.push(`  - ${d}`);
      for (const p of r.problems.slice(0, 4)) out.push(`  - worker log: ${p.replace(/\|/g, '\\|')}`);
    }
  }
  out.push('', LEGEND);
  const held = results.filter((r) => r.held).map((r) => r.n);
  out.push(
    '',
    held.length
      ? `Largest N that held a ${o.intervalMs / 1000} s cycle with p99 lag under ${o.lagLimitMs / 1000} s: **${Math.max(...held)}**${results.some((r) => !r.held && r.n < Math.max(...held)) ? ' (a smaller N broke: see above)' : ''}`
      : `No N held a ${o.intervalMs / 1000} s cycle with p99 lag under ${o.lagLimitMs / 1000} s.`,
  );
  return out.join('\n');
}
