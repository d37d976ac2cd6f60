// `npm run demo`: the whole system offline (Temporal dev server, loopback Cloudflare and Telegram, worker) playing a
// scripted incident; `-- --until-done` plays it to the end and exits 0 only if every expected outcome happened.
import { DemoError, runDemo } from '../src/demo/run';
import { DEMO_USAGE, DemoUsageError, parseDemoOptions } from '../src/demo/options';
import { DemoStateError } from '../src/demo/state-file';
import { EmbeddedServerError } from '../src/runtime/embedded-server';

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseDemoOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof DemoUsageError) {
      process.stderr.write(`demo: ${err.message}\n${DEMO_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    process.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  try {
    return await runDemo(opts);
  } catch (err) {
    if (err instanceof DemoError || err instanceof DemoStateError || err instanceof EmbeddedServerError) {
      process.stderr.write(`demo: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
