// Benchmark: N advertised prefixes protected by one worker process on the Temporal dev server (SQLite), loopback
// Cloudflare and Telegram. Per N: sustained cycles/s, cycle lag against the scheduled time (p50/p99), skipped
// cycles, worker and server RSS, Cloudflare REST and GraphQL calls per cycle, history events per prefix-hour,
// continue-as-new and the longest run, an attack phase (row-limit cut-off, withdraws at scale), a restart, and
// where it breaks and why. Prints markdown tables. See docs/scale.md.
// Usage: npx tsx bench/scale.ts [--preset 1s|60s] [options] N [N ...]   (--help for the options)
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { describeOptions, parseScaleArgs, UsageError, USAGE, type ScaleOptions } from './scale/options';
import { renderReport } from './scale/report';
import { runSize, type SizeResult } from './scale/run-size';

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let o: ScaleOptions;
  try {
    o = parseScaleArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`scale bench: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const say = (line: string): void =>
    void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  say(describeOptions(o).replace(/\n/g, '\n  '));
  const load0 = loadavg()[0]!;
  const results: SizeResult[] = [];
  for (const n of o.sizes) {
    const r = await runSize(n, o, say);
    results.push(r);
    say(`N=${n}: ${r.held ? 'held' : `broke: ${r.reasons.join('; ')}`}`);
    if (o.jsonFile) writeFileSync(o.jsonFile, JSON.stringify({ options: o, results }, null, 2));
    if (!r.held && o.stopOnBreak) break;
  }
  const context = [
    `Scale bench, ${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${load0.toFixed(2)} at start / ${loadavg()[0]!.toFixed(2)} at end`,
    '',
    '```',
    `npx tsx bench/scale.ts ${process.argv.slice(2).join(' ')}`,
    describeOptions(o),
    '```',
  ].join('\n');
  process.stdout.write(`${renderReport(results, o, context)}\n`);
  return results.every((r) => r.held) ? 0 : 3;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
