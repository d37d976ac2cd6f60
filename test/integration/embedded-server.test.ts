// The embedded Temporal dev server of `npm start`: it creates the namespace the worker uses, keeps its SQLite file in
// WAL, and a server left behind by a SIGKILLed parent is found through its pid file and stopped at the next start —
// never an unrelated process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, isPortFree } from '../../src/runtime/free-port';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/runtime/embedded-server';
import { isOurDevServer, isRunning } from '../../src/runtime/orphan';
import { eventually } from '../helpers/temporal';

const ROOT = resolve(__dirname, '..', '..');

// Zombies count as gone: who reaps an orphan (init or a subreaper) and how soon is up to the machine.
const alive = isRunning;

/** Starts the server from a separate Node process (as `npm start` does) and returns that process and the server. */
async function startInChild(dbFile: string, port: number) {
  const script = `
    const { startEmbeddedServer } = require('./src/runtime/embedded-server');
    startEmbeddedServer({ dbFile: ${JSON.stringify(dbFile)}, port: ${port}, uiPort: null })
      .then((s) => { process.stdout.write(JSON.stringify({ pid: s.pid }) + '\\n'); setInterval(() => {}, 1e6); })
      .catch((e) => { process.stderr.write(String(e.message)); process.exit(3); });`;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const line = await eventually(() => out.split('\n').find((l) => l.startsWith('{')), {
    timeoutMs: 60_000,
    what: `the child to start its server: ${out}`,
  });
  return { child, serverPid: (JSON.parse(line) as { pid: number }).pid };
}

describe('embedded Temporal server', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-embedded-'));
  const started: EmbeddedServer[] = [];
  /** Servers started by child processes: killed here if a failing test left them running. */
  const strays: number[] = [];
  after(async () => {
    for (const s of started) await s.stop();
    for (const pid of strays.filter(alive)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  });

  it('creates the configured namespace (TEMPORAL_NAMESPACE) with the search attributes the workflows use', async () => {
    const port = await freePort();
    const server = await startEmbeddedServer({
      dbFile: join(dir, 'ns', 'temporal.db'),
      port,
      uiPort: null,
      namespace: 'mt',
    });
    started.push(server);
    assert.equal(server.namespace, 'mt');
    const connection = await Connection.connect({ address: server.address });
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: 'mt' });
      assert.equal(ns.namespaceInfo?.name, 'mt');
      const attrs = await connection.operatorService.listSearchAttributes({ namespace: 'mt' });
      assert.ok(attrs.customAttributes && 'MtPrefix' in attrs.customAttributes, 'MtPrefix registered in mt');
    } finally {
      await connection.close();
    }
    await server.stop();
    assert.equal(existsSync(join(dir, 'ns', 'temporal-server.pid')), false, 'the pid file goes with the server');
    // Bytes 18-19 of a SQLite header are the file format's write/read versions: 2 is WAL, 1 the rollback journal.
    const header = readFileSync(join(dir, 'ns', 'temporal.db')).subarray(18, 20);
    assert.deepEqual([...header], [2, 2], 'the server keeps its SQLite file in WAL mode');
  });

  it('a server orphaned by a SIGKILLed parent is stopped at the next start, which then succeeds', async () => {
    const dbFile = join(dir, 'orphan', 'temporal.db');
    const port = await freePort();
    const first = await startInChild(dbFile, port);
    strays.push(first.serverPid);
    const pidFile = join(dir, 'orphan', 'temporal-server.pid');
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(first.serverPid));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    assert.ok(alive(first.serverPid), 'the detached server outlived its parent');
    assert.equal(await isPortFree('127.0.0.1', port), false);

    const second = await startEmbeddedServer({ dbFile, port, uiPort: null });
    started.push(second);
    assert.equal(second.orphanStopped, first.serverPid);
    assert.notEqual(second.pid, first.serverPid);
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(second.pid));
    await eventually(() => (alive(first.serverPid) ? undefined : true), { timeoutMs: 15_000, what: 'the orphan gone' });
  });

  it('a pid file naming an unrelated process leaves that process alone', async () => {
    const dbFile = join(dir, 'unrelated', 'temporal.db');
    const pidFile = join(dir, 'unrelated', 'temporal-server.pid');
    // Looks like a Temporal server for another database file: still not ours to stop.
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', 'server', 'start-dev'], {
      stdio: 'ignore',
    });
    try {
      mkdirSync(dirname(pidFile), { recursive: true });
      writeFileSync(pidFile, `${bystander.pid}\n`);
      const server = await startEmbeddedServer({ dbFile, port: await freePort(), uiPort: null });
      started.push(server);
      assert.equal(server.orphanStopped, null);
      assert.ok(alive(bystander.pid!), 'the unrelated process still runs');
      assert.equal(readFileSync(pidFile, 'utf8').trim(), String(server.pid));
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('recognises only `server start-dev --db-filename <this file>`', () => {
    const db = '/var/lib/mt-autowithdraw/temporal/temporal.db';
    assert.ok(isOurDevServer(['/opt/temporal', 'server', 'start-dev', '--db-filename', db, '--port', '7233'], db));
    assert.ok(!isOurDevServer(['/opt/temporal', 'server', 'start-dev', '--db-filename', `${db}.old`], db));
    assert.ok(!isOurDevServer(['/opt/temporal', 'start-dev', '--db-filename', db], db));
    assert.ok(!isOurDevServer(['sleep', '100'], db));
    assert.ok(!isOurDevServer([], db));
  });
});
