// Webhook classification: test message, dedupe identity, attack_events rows and action_taken, target prefix by
// containment, and which alerts ask the supervisor to reconcile; over every fixture payload.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, classifyWebhook, containingPrefix, type WebhookAlert } from '../../src/domain/webhook-alert';

const PREFIXES = ['185.54.81.0/24', '185.54.82.0/24', '185.54.83.0/24', '185.54.82.0/25', '2a02:4460:1::/48'];
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'webhooks', `${name}.json`), 'utf8'));

function alertOf(payload: unknown, prefixes = PREFIXES): WebhookAlert {
  const r = classifyWebhook(payload, prefixes);
  assert.ok(r.ok, r.ok ? '' : r.problem);
  assert.equal(r.webhook.kind, 'alert');
  return (r.webhook as { alert: WebhookAlert }).alert;
}

describe('webhook classification', () => {
  it("Cloudflare's test message (only text) is a test, not an alert", () => {
    const r = classifyWebhook(fixture('cloudflare-test-message'), PREFIXES);
    assert.ok(r.ok && r.webhook.kind === 'test');
  });

  it('refuses what is not a notification, naming the problem', () => {
    const problem = (p: unknown) => {
      const r = classifyWebhook(p, PREFIXES);
      assert.ok(!r.ok);
      return r.problem;
    };
    assert.match(problem([1, 2]), /must be a JSON object/);
    assert.match(problem('text'), /must be a JSON object/);
    assert.match(problem({}), /no alert_type, alert_event, data or text/);
    assert.match(problem({ alert_type: 5 }), /alert_type must be a string/);
    assert.match(problem({ alert_type: 'dos_attack_l4', data: [] }), /data must be a JSON object/);
  });

  it('official L4 START: attack_id is the alert id; START mitigating on the containing prefix; reconcile', () => {
    const a = alertOf(fixture('official-advanced_ddos_attack_l4_alert-start'));
    assert.equal(a.alertId, '4f1a8c2e9b7d4e6fa1c3b5d7e9f0a2b4');
    assert.equal(a.alertIdSource, 'attack_id');
    assert.equal(a.eventState, 'ALERT_STATE_EVENT_START');
    assert.equal(a.targetPrefix, '185.54.81.0/24');
    assert.equal(a.attackEvents.length, 1);
    assert.deepEqual(
      { ...a.attackEvents[0] },
      {
        eventType: 'START',
        alertType: 'advanced_ddos_attack_l4_alert',
        attackId: '4f1a8c2e9b7d4e6fa1c3b5d7e9f0a2b4',
        policyId: '749b911ea5d04344a58e45edd099b328',
        policyName: 'MT L4 alerts',
        prefix: '185.54.81.0/24',
        targetIp: '185.54.81.10',
        targetPort: 443,
        protocol: 'TCP',
        attackVector: 'SYN Flood',
        packetsPerSecond: '1200000',
        megabitsPerSecond: '850',
        severity: null,
        actionTaken: 'mitigating',
      },
    );
    assert.deepEqual(a.advertisedPrefixes, ['185.54.81.0/24']);
  });

  it('END: notified_autowithdraw_handles, no reconcile (the attack is over; the engine decides)', () => {
    const a = alertOf(fixture('official-advanced_ddos_attack_l4_alert-end'));
    assert.equal(a.attackEvents[0]?.eventType, 'END');
    assert.equal(a.attackEvents[0]?.actionTaken, 'notified_autowithdraw_handles');
    assert.deepEqual(a.advertisedPrefixes, []);
  });

  it('the most specific configured prefix wins; a target outside every prefix has none', () => {
    assert.equal(containingPrefix('185.54.82.10', PREFIXES), '185.54.82.0/25');
    assert.equal(containingPrefix('185.54.82.200', PREFIXES), '185.54.82.0/24');
    assert.equal(containingPrefix('185.54.82.4/32', PREFIXES), '185.54.82.0/25');
    assert.equal(containingPrefix('2a02:4460:1::53', PREFIXES), '2a02:4460:1::/48');
    assert.equal(containingPrefix('127.0.0.1', PREFIXES), null);
    assert.equal(containingPrefix('not an ip', PREFIXES), null);
    const a = alertOf({ ...(fixture('thirdparty-dos_attack_l4') as object), data: { target_ip: '192.0.2.77' } });
    assert.equal(a.targetPrefix, null);
    assert.equal(a.eventState, null);
    // No alert_event: a start, as the operators' receiver recorded it.
    assert.equal(a.attackEvents[0]?.eventType, 'START');
    assert.deepEqual(a.advertisedPrefixes, []);
  });

  it("Cloudflare's test notification (loopback target, fake- placeholders) is a test: no attack event, no reconcile", () => {
    const a = alertOf(fixture('thirdparty-dos_attack_l4'));
    assert.equal(a.testReason, 'target_ip 127.0.0.1 is a loopback address');
    assert.deepEqual([a.attackEvents, a.advertisedPrefixes], [[], []]);
    const withRealTarget = (data: Record<string, unknown>) =>
      alertOf({ alert_type: 'dos_attack_l4', data: { target_ip: '185.54.81.10', ...data } });
    assert.equal(
      withRealTarget({ attack_vector: 'fake-vector' }).testReason,
      'attack_vector "fake-vector" is a placeholder',
    );
    assert.equal(withRealTarget({ rule_name: 'fake-name' }).testReason, 'rule_name "fake-name" is a placeholder');
    assert.equal(
      alertOf({ alert_type: 'dos_attack_l4', data: { target_ip: '::1' } }).testReason,
      'target_ip ::1 is a loopback address',
    );
    // Real alerts, placeholders of the official schema example included, are not tests.
    const real = withRealTarget({ attack_vector: 'UDP Flood', rule_name: 'Fakeroot DNS protection' });
    assert.equal(real.testReason, null);
    assert.equal(real.attackEvents[0]?.eventType, 'START');
    for (const name of [
      'official-advanced_ddos_attack_l4_alert-start',
      'official-advanced_ddos_attack_l4_alert-placeholders',
      'thirdparty-fbm_dosd_attack',
      'thirdparty-fbm_auto_advertisement',
    ])
      assert.equal(alertOf(fixture(name)).testReason, null, name);
  });

  it('MNM alerts: START notified, attack_vector falls back to attack_type; auto_advertised asks to reconcile', () => {
    const dosd = alertOf(fixture('thirdparty-fbm_dosd_attack'));
    assert.equal(dosd.alertId, null, 'no attack_id and no correlation id: the store hashes the content');
    assert.equal(dosd.attackEvents[0]?.actionTaken, 'notified');
    assert.equal(dosd.attackEvents[0]?.attackVector, 'UDP Amplification');
    assert.equal(dosd.attackEvents[0]?.severity, 'HIGH');
    assert.deepEqual(dosd.advertisedPrefixes, ['185.54.82.0/24', '185.54.82.0/25']);
    const vol = alertOf(fixture('thirdparty-fbm_volumetric_attack'));
    assert.equal(vol.attackEvents[0]?.eventType, 'START');
    assert.equal(vol.attackEvents[0]?.attackVector, null);
    assert.deepEqual(vol.advertisedPrefixes, [], 'no prefix or target named: nothing to reconcile');
  });

  it('auto-advertisement: one ADVERTISE row per advertised prefix (auto_advertised), reconcile those only', () => {
    const a = alertOf(fixture('thirdparty-fbm_auto_advertisement'));
    assert.deepEqual(
      a.attackEvents.map((e) => [e.eventType, e.prefix, e.actionTaken, e.attackVector]),
      [['ADVERTISE', '185.54.82.0/24', 'auto_advertised', 'Volumetric']],
    );
    assert.deepEqual(a.advertisedPrefixes, ['185.54.82.0/24', '185.54.82.0/25']);
    assert.equal(a.targetPrefix, '185.54.82.0/24');
  });

  it('an advertisement of a covering prefix reconciles every configured prefix inside it', () => {
    const a = alertOf({
      alert_type: 'fbm_auto_advertisement',
      data: { advertise_status: [{ prefix: '185.54.80.0/22', status: 'Already Advertised' }] },
    });
    assert.deepEqual(a.advertisedPrefixes, ['185.54.81.0/24', '185.54.82.0/24', '185.54.82.0/25', '185.54.83.0/24']);
  });

  it('the envelope of an unknown alert type is stored as a webhook only; correlation id as alert id', () => {
    const a = alertOf(fixture('official-envelope'));
    assert.equal(a.attackEvents.length, 0);
    assert.equal(a.alertId, 'string');
    assert.equal(a.alertIdSource, 'alert_correlation_id');
    assert.equal(a.eventState, 'string');
  });

  it('the content key ignores key order, so a redelivered payload deduplicates', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: null } }),
      canonicalJson({ a: { c: null, d: [2, { x: 2, y: 1 }] }, b: 1 }),
    );
    const p = fixture('thirdparty-fbm_dosd_attack') as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(p).reverse());
    assert.equal(alertOf(p).contentKey, alertOf(reordered).contentKey);
  });
});
