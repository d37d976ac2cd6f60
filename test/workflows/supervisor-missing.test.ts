// A configured prefix Cloudflare does not list under its parent (a wrong bgp_prefix_id) is not protected: the
// supervisor says so in its status, in the log every cycle and once to the on-call team (time-skipping server).
import assert from 'node:assert/strict';
import { ensureSupervisor } from '../../src/runtime/temporal';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { supervisorStatusQuery } from '../../src/workflows/messages';
import type { ProtectionOutcome } from '../../src/workflows/types';
import { testPrefix } from '../helpers/fixture';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const LISTED = testPrefix('192.0.2.0/24', 'listed', 'm1', { parentPrefixId: 'pm' });
const MISSING = testPrefix('198.51.100.0/24', 'wrong id <in mapping>', 'm2', { parentPrefixId: 'pm' });

const DISABLED = testPrefix('203.0.113.0/24', 'on-demand switched off', 'd1', { parentPrefixId: 'pd' });

describe('supervisor: a configured prefix Cloudflare does not list (time-skipping server)', function () {
  this.timeout(120_000);
  const sys = useTimeSkippingSystem({
    taskQueue: 'supervisor-missing',
    prefixes: [LISTED, MISSING, DISABLED],
    terminateAtEnd: [SUPERVISOR_WORKFLOW_ID],
  });

  it('reports it as missing, alerts once per stretch, and protects it once it is listed again', async () => {
    const { env, fx, taskQueue } = sys();
    // The parent's list shows only its first BGP prefix: the mapping's bgp_prefix_id for the second matches nothing.
    const fault = fx.cf.faults.add({
      kind: 'partial',
      rows: 1,
      match: { method: 'GET', path: /\/prefixes\/pm\/bgp\/prefixes\/?$/ },
      count: Infinity,
    });
    await ensureSupervisor(env.client, taskQueue);
    await env.sleep(6 * MIN);
    const sup = env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID);
    const during = await sup.query(supervisorStatusQuery);
    assert.deepEqual(during.missing, [MISSING.cidr]);
    assert.deepEqual(during.protected, [LISTED.cidr, DISABLED.cidr].sort(), 'a missing prefix is not protected');
    assert.ok(during.cycles >= 5);
    const alerts = () => fx.tg.messages.filter((m) => /PREFIX MISSING AT CLOUDFLARE/.test(m.plainText));
    assert.equal(alerts().length, 1, 'one alert however many cycles');
    const text = alerts()[0]!.plainText;
    assert.ok(text.includes(MISSING.cidr) && text.includes(MISSING.description), text);
    assert.match(text, /BGP prefix ID: m2/);

    fx.cf.faults.remove(fault);
    await env.sleep(2 * MIN);
    const after = await sup.query(supervisorStatusQuery);
    assert.deepEqual(after.missing, []);
    assert.deepEqual(after.protected, [LISTED.cidr, MISSING.cidr, DISABLED.cidr].sort());
    assert.equal(alerts().length, 1);
  });

  it('on-demand switched off under a running protection: it ends at once, cleanly and said, without a PATCH', async () => {
    const { env, fx } = sys();
    const handle = env.client.workflow.getHandle(protectionWorkflowId(DISABLED.cidr));
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    const switchedOffAtMs = await env.currentTimeMs();
    fx.cf.state.set(DISABLED.bgpPrefixId, { onDemandEnabled: false });
    // Waiting for the result lets the server skip time; "at once" is judged in workflow time, whatever the load.
    assert.equal(((await handle.result()) as ProtectionOutcome).reason, 'not_on_demand');
    const closed = await handle.describe();
    assert.equal(closed.status.name, 'COMPLETED');
    const tookMs = closed.closeTime!.getTime() - switchedOffAtMs;
    assert.ok(tookMs <= 2 * MIN, `ended ${tookMs} ms after on-demand was switched off (at most two supervisor cycles)`);
    assert.deepEqual(
      fx.cf.stats.patches().filter((x) => x.bgpPrefixId === DISABLED.bgpPrefixId),
      [],
    );
    const ended = fx.tg.messages.filter(
      (m) => m.plainText.includes(DISABLED.cidr) && /PROTECTION ENDED/.test(m.plainText),
    );
    assert.equal(ended.length, 1);
    const sup = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery);
    assert.ok(!sup.protected.includes(DISABLED.cidr), 'the supervisor let go of it and does not restart it');
  });
});
