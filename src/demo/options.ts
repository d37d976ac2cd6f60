// Command line of `npm run demo`: validated once, one clear error for a wrong flag.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface DemoOptions {
  untilDone: boolean;
  dataDir: string;
  /** null: pick a free port. */
  temporalPort: number | null;
  uiPort: number | null;
  metricsPort: number | null;
  reset: boolean;
  /** Line-by-line output instead of the full-screen view (automatic when stdout is not a terminal). */
  plain: boolean;
}

export const DEMO_USAGE = `usage: npm run demo -- [options]
  --until-done           play the scenario to its end, print the outcome report, exit 0 only if all is as expected
  --data-dir <dir>       where the demo keeps its state (default data/demo, or DEMO_DATA_DIR)
  --reset                forget the previous run and start the scenario over
  --temporal-port <n>    Temporal dev server gRPC port (default 7243)
  --ui-port <n>          Temporal Web UI port (default 8243)
  --metrics-port <n>     the worker's Prometheus endpoint (default 9464)
  --free-ports           pick free ports for all of the above (tests, or when the defaults are taken)
  --plain                print lines instead of redrawing the screen
  -h, --help             this text`;

export class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
}

function port(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 65_535)) throw new DemoUsageError(`--${flag} ${raw}: must be a port number from 1 to 65535`);
  return n;
}

/** Parses the demo's flags; 'help' when help was asked for. */
export function parseDemoOptions(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  isTty = process.stdout.isTTY === true,
): DemoOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'until-done': { type: 'boolean' },
        'data-dir': { type: 'string' },
        reset: { type: 'boolean' },
        'temporal-port': { type: 'string' },
        'ui-port': { type: 'string' },
        'metrics-port': { type: 'string' },
        'free-ports': { type: 'boolean' },
        plain: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new DemoUsageError((err as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  if (values.help) return 'help';
  const free = values['free-ports'] ?? false;
  const chosen = ['temporal-port', 'ui-port', 'metrics-port'].filter((f) => values[f as 'ui-port'] !== undefined);
  if (free && chosen.length > 0) throw new DemoUsageError(`--free-ports and --${chosen[0]} cannot be used together`);
  const dataDir = values['data-dir'] ?? env.DEMO_DATA_DIR?.trim() ?? 'data/demo';
  if (dataDir === '') throw new DemoUsageError('--data-dir must not be empty');
  const temporalPort = free ? null : port('temporal-port', values['temporal-port'], 7243);
  const uiPort = free ? null : port('ui-port', values['ui-port'], 8243);
  const metricsPort = free ? null : port('metrics-port', values['metrics-port'], 9464);
  const fixed = [temporalPort, uiPort, metricsPort].filter((p): p is number => p !== null);
  if (new Set(fixed).size !== fixed.length)
    throw new DemoUsageError('the Temporal, Web UI and metrics ports must differ');
  return {
    untilDone: values['until-done'] ?? false,
    dataDir: resolve(dataDir),
    temporalPort,
    uiPort,
    metricsPort,
    reset: values.reset ?? false,
    plain: (values.plain ?? false) || !isTty,
  };
}
