// The systemd units and sysusers file: systemd's own tools accept them where installed (in a temporary root holding
// what an installed host has), and on every machine their settings are checked: a non-root user that sysusers
// creates, restart policy, hardening, the environment file, the npm scripts' commands, and — the part a fresh install
// depends on — every path the services write is writable under ProtectSystem=strict.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { DEFAULTS } from '../../src/config';
import { NO_DOTENV } from '../../src/config/dotenv';
import { DEFAULT_EMBEDDED_DB_FILE, embeddedServerSettings } from '../../src/runtime/embedded-server';
import { EXIT_CONFIG } from '../../src/runtime/fatal';
import { parseEnvironmentAssignments, parseUnitFile, type UnitFile } from './unit-file';

const ROOT = resolve(__dirname, '..', '..');
const UNITS = { worker: 'mt-autowithdraw.service', webhook: 'mt-autowithdraw-webhook.service' } as const;
const SYSUSERS = join(ROOT, 'deploy', 'sysusers.d', 'mt-autowithdraw.conf');
const unitPath = (name: string): string => join(ROOT, 'deploy', 'systemd', name);

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}
const ANALYZE = has('systemd-analyze');
const SYSUSERS_TOOL = has('systemd-sysusers');

const one = (unit: UnitFile, section: string, key: string): string | undefined => {
  const v = unit[section]?.[key];
  return v === undefined ? undefined : v[v.length - 1];
};

/**
 * A temporary root that looks like an installed host: the units in /etc/systemd/system, stub system targets, an
 * executable /usr/bin/node, the environment file and the service user. systemd-analyze checks the units against it.
 */
function installedRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'mtaw-systemd-root-'));
  for (const d of [
    'etc/systemd/system',
    'usr/lib/systemd/system',
    'usr/bin',
    'opt/mt-autowithdraw',
    'etc/mt-autowithdraw',
  ])
    mkdirSync(join(root, d), { recursive: true });
  for (const name of Object.values(UNITS)) copyFileSync(unitPath(name), join(root, 'etc/systemd/system', name));
  for (const t of ['sysinit', 'basic', 'shutdown', 'network-online', 'multi-user'])
    writeFileSync(
      join(root, 'usr/lib/systemd/system', `${t}.target`),
      `[Unit]\nDescription=stub ${t}\nDefaultDependencies=no\n`,
    );
  writeFileSync(join(root, 'usr/bin/node'), '#!/bin/sh\n');
  chmodSync(join(root, 'usr/bin/node'), 0o755);
  copyFileSync(join(ROOT, '.env.example'), join(root, 'etc/mt-autowithdraw/mt-autowithdraw.env'));
  return root;
}

describe('systemd units', () => {
  const units = Object.fromEntries(
    Object.entries(UNITS).map(([k, name]) => [k, parseUnitFile(readFileSync(unitPath(name), 'utf8'))]),
  ) as Record<keyof typeof UNITS, UnitFile>;
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;

  if (ANALYZE) {
    it('systemd-analyze verify accepts both units without a single complaint, and rates them well hardened', () => {
      const root = installedRoot();
      const verify = spawnSync('systemd-analyze', [`--root=${root}`, '--man=no', 'verify', ...Object.values(UNITS)], {
        encoding: 'utf8',
        cwd: root,
      });
      // verify exits 0 even for unknown keys and bad values (it only warns): the output must be empty too.
      assert.equal(verify.status, 0, verify.stderr);
      assert.equal(verify.stderr.trim(), '', 'no warnings');
      // --threshold is in tenths of the exposure level: 20 = 2.0 (0 is locked down, 10 fully exposed).
      for (const name of Object.values(UNITS)) {
        const sec = spawnSync(
          'systemd-analyze',
          [`--root=${root}`, 'security', '--offline=true', '--threshold=20', name],
          { encoding: 'utf8', cwd: root },
        );
        assert.equal(sec.status, 0, `${name}: exposure above 2.0\n${sec.stdout.split('\n').slice(-3).join('\n')}`);
        assert.match(sec.stdout, new RegExp(`Overall exposure level for ${name.replace('.', '\\.')}: 1\\.\\d`));
      }
    });
  } else {
    it('both units parse into known sections (systemd-analyze is not installed here: no verify)', () => {
      for (const unit of Object.values(units)) assert.deepEqual(Object.keys(unit), ['Unit', 'Service', 'Install']);
    });
  }

  if (SYSUSERS_TOOL) {
    it('systemd-sysusers creates the service user: a system account without a login, home = the state directory', () => {
      const root = mkdtempSync(join(tmpdir(), 'mtaw-sysusers-'));
      mkdirSync(join(root, 'etc'));
      const r = spawnSync('systemd-sysusers', [`--root=${root}`, SYSUSERS], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const entry = readFileSync(join(root, 'etc', 'passwd'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith('mt-autowithdraw:'));
      assert.ok(entry, 'mt-autowithdraw in /etc/passwd');
      const [, , uid, gid, , home, shell] = entry.split(':');
      assert.ok(Number(uid) > 0 && Number(uid) < 1000, `system uid ${uid}`);
      assert.match(readFileSync(join(root, 'etc', 'group'), 'utf8'), new RegExp(`^mt-autowithdraw:x:${gid}:`, 'm'));
      assert.equal(home, '/var/lib/mt-autowithdraw');
      assert.equal(shell, '/usr/sbin/nologin');
    });
  } else {
    it('the sysusers file declares the service user (systemd-sysusers is not installed here: parsed only)', () => {
      const line = readFileSync(SYSUSERS, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('u '));
      assert.match(line ?? '', /^u mt-autowithdraw - "[^"]+" \/var\/lib\/mt-autowithdraw \/usr\/sbin\/nologin$/);
    });
  }

  for (const [kind, name] of Object.entries(UNITS) as Array<[keyof typeof UNITS, string]>) {
    describe(name, () => {
      const unit = units[kind];
      const service = (key: string) => one(unit, 'Service', key);

      it('runs as the non-root user the sysusers file creates, from /opt/mt-autowithdraw', () => {
        assert.equal(service('User'), 'mt-autowithdraw');
        assert.equal(service('Group'), 'mt-autowithdraw');
        assert.match(readFileSync(SYSUSERS, 'utf8'), /^u mt-autowithdraw /m);
        assert.equal(service('DynamicUser'), undefined);
        assert.equal(service('WorkingDirectory'), '/opt/mt-autowithdraw');
      });

      it("runs the npm script's command with /usr/bin/node (a drop-in can change the path)", () => {
        const script = scripts[kind === 'worker' ? 'start' : 'webhook-receiver']!;
        assert.equal(service('ExecStart'), script.replace(/^node /, '/usr/bin/node '));
      });

      it('restarts on failure, but not after a configuration error (exit 2)', () => {
        assert.equal(service('Restart'), 'on-failure');
        assert.match(service('RestartSec') ?? '', /^\d+s$/);
        assert.equal(service('RestartPreventExitStatus'), String(EXIT_CONFIG));
        assert.equal(service('KillSignal'), 'SIGTERM');
        assert.match(one(unit, 'Install', 'WantedBy') ?? '', /^multi-user\.target$/);
      });

      it('reads its settings from the environment file (required) and never from a stray ./.env', () => {
        assert.equal(service('EnvironmentFile'), '/etc/mt-autowithdraw/mt-autowithdraw.env');
        assert.equal(parseEnvironmentAssignments(unit.Service!.Environment ?? [])[NO_DOTENV], '1');
      });

      it('is hardened: read-only system, no privileges, private /tmp and devices, filtered system calls', () => {
        const want: Record<string, string> = {
          NoNewPrivileges: 'yes',
          ProtectSystem: 'strict',
          ProtectHome: 'yes',
          PrivateTmp: 'yes',
          PrivateDevices: 'yes',
          ProtectKernelTunables: 'yes',
          ProtectKernelModules: 'yes',
          ProtectKernelLogs: 'yes',
          ProtectControlGroups: 'yes',
          ProtectClock: 'yes',
          ProtectHostname: 'yes',
          RestrictSUIDSGID: 'yes',
          RestrictNamespaces: 'yes',
          LockPersonality: 'yes',
          SystemCallArchitectures: 'native',
          SystemCallFilter: '@system-service',
          UMask: '0027',
        };
        for (const [k, v] of Object.entries(want)) assert.equal(service(k), v, k);
        // Empty: no capabilities at all.
        assert.deepEqual(unit.Service!.CapabilityBoundingSet, []);
        assert.deepEqual(unit.Service!.AmbientCapabilities, []);
        // V8's JIT needs writable executable memory.
        assert.equal(service('MemoryDenyWriteExecute'), undefined);
      });

      it('every path it writes is writable under the hardening (state directory, private /tmp)', () => {
        const fileEnv = parseEnv(readFileSync(join(ROOT, '.env.example'), 'utf8'));
        // systemd: the EnvironmentFile's values override Environment=.
        const env = { ...parseEnvironmentAssignments(unit.Service!.Environment ?? []), ...fileEnv };
        const cwd = service('WorkingDirectory')!;
        const at = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
        const writes: Record<string, string> = {
          'records database (DATABASE_PATH) and its -wal/-shm files': at(env.DATABASE_PATH ?? DEFAULTS.DATABASE_PATH),
          'HOME (tools that keep settings there)': at(env.HOME ?? '/'),
          'tsx compile cache (os.tmpdir())': '/tmp/tsx-0',
        };
        if (kind === 'worker') {
          const embedded = embeddedServerSettings(env, { dbFile: DEFAULT_EMBEDDED_DB_FILE }).options;
          writes['embedded Temporal database (TEMPORAL_DB_FILE)'] = at(embedded.dbFile);
          writes['embedded Temporal log'] = at(embedded.logFile!);
          writes['embedded Temporal pid file'] = at(embedded.pidFile!);
        }
        const writable = [
          ...(unit.Service!.StateDirectory ?? []).flatMap((v) => v.split(/\s+/)).map((d) => `/var/lib/${d}`),
          // A "-" path is skipped when missing, and a fresh install has none: it does not count.
          ...(unit.Service!.ReadWritePaths ?? []).flatMap((v) => v.split(/\s+/)).filter((p) => !p.startsWith('-')),
          ...(service('PrivateTmp') === 'yes' ? ['/tmp', '/var/tmp'] : []),
        ];
        const inside = (p: string, dir: string): boolean => {
          const rel = relative(dir, p);
          return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
        };
        for (const [what, path] of Object.entries(writes))
          assert.ok(
            writable.some((d) => inside(path, d)),
            `${what}: ${path} is not writable (writable: ${writable.join(' ')})`,
          );
        assert.equal(service('StateDirectory'), 'mt-autowithdraw', 'both units share one state directory');
      });
    });
  }
});
