// docker-compose.temporal.yml: pinned images, health-gated start order, a named volume, loopback ports, and the
// search attributes the workflows use; `docker compose config` accepts it where the compose plugin exists (elsewhere
// the test title says it only parsed the file).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../src/runtime/embedded-server';
import { parseYamlSubset, type Yaml } from './yaml-subset';

const ROOT = resolve(__dirname, '..', '..');
const FILE = resolve(ROOT, 'docker-compose.temporal.yml');

const COMPOSE = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
/** The service keys this file may use (a subset of the compose specification's). */
const COMPOSE_SERVICE_KEYS = new Set([
  'image',
  'restart',
  'environment',
  'volumes',
  'healthcheck',
  'depends_on',
  'entrypoint',
  'command',
  'ports',
]);

type Obj = { [key: string]: Yaml };
const obj = (v: Yaml | undefined, what: string): Obj => {
  assert.ok(v !== undefined && typeof v === 'object' && !Array.isArray(v), `${what} is a mapping`);
  return v;
};
const list = (v: Yaml | undefined, what: string): Yaml[] => {
  assert.ok(Array.isArray(v), `${what} is a list`);
  return v;
};

describe('docker-compose.temporal.yml', () => {
  const text = readFileSync(FILE, 'utf8');
  const doc = obj(parseYamlSubset(text), 'the file');
  const services = obj(doc.services, 'services');
  const service = (name: string): Obj => obj(services[name], `service ${name}`);

  // Where the compose plugin is installed it has the last word; elsewhere the test says what it did check instead.
  if (COMPOSE) {
    it('`docker compose config` accepts the file', () => {
      const r = spawnSync('docker', ['compose', '-f', FILE, 'config', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    });
  } else {
    it('parses as strict YAML with only compose top-level keys (no docker compose plugin here to run `config`)', () => {
      assert.deepEqual(Object.keys(doc), ['name', 'services', 'volumes']);
      for (const [name, s] of Object.entries(services))
        for (const key of Object.keys(obj(s, name)))
          assert.ok(COMPOSE_SERVICE_KEYS.has(key), `${name}.${key} is a compose service key`);
    });
  }

  it('has the server, PostgreSQL, the Web UI, admin tools and the setup jobs', () => {
    assert.deepEqual(Object.keys(services).sort(), [
      'postgresql',
      'temporal',
      'temporal-admin-tools',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
    ]);
  });

  it('pins every image to a version (no latest), one Temporal version for server and tools', () => {
    const tags: Record<string, string> = {};
    for (const [name, s] of Object.entries(services)) {
      const image = obj(s, name).image;
      assert.ok(typeof image === 'string', `${name} has an image`);
      const m = /^([a-z0-9./-]+):(\d[\w.-]*)$/.exec(image);
      assert.ok(m, `${name}: ${image} is pinned to a version tag`);
      tags[m[1]!] = m[2]!;
    }
    assert.equal(tags['temporalio/server'], tags['temporalio/admin-tools']);
    assert.ok(tags['temporalio/ui'] && tags.postgres);
  });

  it('starts in order, each step gated on the previous one being healthy or done', () => {
    const dependsOn = (name: string): Record<string, string> =>
      Object.fromEntries(
        Object.entries(obj(service(name).depends_on, `${name}.depends_on`)).map(([k, v]) => [
          k,
          obj(v, `${name}.depends_on.${k}`).condition as string,
        ]),
      );
    assert.deepEqual(dependsOn('temporal-schema'), { postgresql: 'service_healthy' });
    assert.deepEqual(dependsOn('temporal'), { 'temporal-schema': 'service_completed_successfully' });
    for (const s of ['temporal-setup', 'temporal-ui', 'temporal-admin-tools'])
      assert.deepEqual(dependsOn(s), { temporal: 'service_healthy' });
    for (const s of ['postgresql', 'temporal']) {
      const hc = obj(service(s).healthcheck, `${s}.healthcheck`);
      assert.ok(list(hc.test, `${s}.healthcheck.test`).length >= 2);
      assert.ok(hc.interval && hc.retries, `${s} healthcheck has an interval and retries`);
    }
    // No shell needed: a TCP check of the frontend port with the image's own nc.
    assert.deepEqual(obj(service('temporal').healthcheck, 'temporal.healthcheck').test, [
      'CMD',
      'nc',
      '-z',
      'localhost',
      '7233',
    ]);
    for (const s of ['postgresql', 'temporal', 'temporal-ui']) assert.equal(service(s).restart, 'unless-stopped');
    for (const s of ['temporal-schema', 'temporal-setup']) assert.equal(service(s).restart, 'no');
  });

  it('keeps PostgreSQL data in a named volume', () => {
    assert.ok('temporal-postgres' in obj(doc.volumes, 'volumes'));
    assert.deepEqual(service('postgresql').volumes, ['temporal-postgres:/var/lib/postgresql/data']);
    assert.equal(obj(service('temporal').environment, 'temporal.environment').DB, 'postgres12');
  });

  it('publishes ports on loopback only: gRPC 7233 and the Web UI on 8233 (8080 is the webhook receiver)', () => {
    const published = Object.entries(services).flatMap(([name, s]) =>
      ((obj(s, name).ports as string[] | undefined) ?? []).map((p) => `${name} ${p}`),
    );
    assert.deepEqual(published.sort(), ['temporal 127.0.0.1:7233:7233', 'temporal-ui 127.0.0.1:8233:8080']);
  });

  it('creates the namespace and exactly the search attributes the workflows use', () => {
    const script = list(service('temporal-setup').command, 'temporal-setup.command')[0] as string;
    assert.match(script, /temporal operator namespace create -n "\$\$NAMESPACE" --retention/);
    const m = /for sa in ([^;]+); do/.exec(script);
    assert.ok(m, 'a loop over Name=Type pairs');
    const created = Object.fromEntries(
      m[1]!
        .trim()
        .split(/\s+/)
        .map((p) => p.split('=') as [string, string]),
    );
    assert.deepEqual(created, SEARCH_ATTRIBUTES);
    assert.match(
      script,
      /temporal operator search-attribute create -n "\$\$NAMESPACE" --name "\$\$name" --type "\$\$type"/,
    );
  });

  it('every ${VAR} has a default (config works without a .env) and shell variables are escaped as $$', () => {
    const unescaped = text
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .flatMap((l) => [...l.matchAll(/(?<!\$)\$(?!\$)(?!\{[A-Z_]+:-[^}]+\})/g)].map(() => l.trim()));
    assert.deepEqual(unescaped, []);
  });
});
