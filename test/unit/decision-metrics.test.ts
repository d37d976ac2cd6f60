// Decision metrics from published cycle statuses: values at scrape time, stale prefixes dropped, decisions counted once.
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createDecisionMetrics, splitDecision } from '../../src/metrics/decision-metrics';
import type { ProtectionStatus } from '../../src/workflows/types';
import { parseMetrics, valueOf } from '../e2e/metrics-text';

const T0 = Date.parse('2026-01-19T14:00:00Z');

function status(over: Partial<ProtectionStatus> = {}): ProtectionStatus {
  return {
    cidr: '192.0.2.0/24',
    description: 'test',
    phase: 'protecting',
    advertised: true,
    locked: false,
    held: false,
    underAttack: false,
    telemetry: 'ok',
    unknownReason: null,
    unknownSinceMs: null,
    calmSinceMs: T0 - 120_000,
    calmAccumulatedMs: 120_000,
    calmPeriodMs: 900_000,
    withdrawDueAtMs: T0 + 780_000,
    withdrawBlockedBy: null,
    peak: null,
    lastMeasurement: { atMs: T0, packets: 10, bits: 8000, mbps: 0, systems: [] },
    lastCycleAtMs: T0,
    cycles: 5,
    pending: null,
    withdrawFailures: { rounds: 0, notBeforeMs: null, lastError: null },
    cooldownUntilMs: null,
    lastWithdraw: null,
    shadow: false,
    shadowWithdrawnAtMs: null,
    lastDecisions: [],
    runs: 1,
    nowMs: T0,
    ...over,
  } as ProtectionStatus;
}

describe('decision metrics', () => {
  let now: number;
  let registry: Registry;
  let metrics: ReturnType<typeof createDecisionMetrics>;
  const read = async () => parseMetrics(await registry.metrics());
  const v = async (name: string, labels: Record<string, string> = {}) =>
    valueOf(await read(), `mt_autowithdraw_${name}`, labels);

  beforeEach(() => {
    now = T0;
    registry = new Registry();
    metrics = createDecisionMetrics({ registry, checkIntervalMs: 60_000, shadow: false, now: () => now });
  });

  it('exports the per-prefix decision state of the last cycle', async () => {
    metrics.observe(status());
    metrics.observe(
      status({
        cidr: '2001:db8::/48',
        underAttack: true,
        held: true,
        locked: true,
        calmSinceMs: null,
        calmAccumulatedMs: 0,
        withdrawDueAtMs: null,
      }),
    );
    const s = await read();
    const at = (name: string, prefix: string, extra: Record<string, string> = {}) =>
      valueOf(s, `mt_autowithdraw_${name}`, { prefix, ...extra });
    assert.equal(at('calm_seconds', '192.0.2.0/24'), 120);
    assert.equal(at('calm_period_seconds', '192.0.2.0/24'), 900);
    assert.equal(at('seconds_until_withdraw', '192.0.2.0/24'), 780);
    assert.equal(at('under_attack', '192.0.2.0/24'), 0);
    assert.equal(at('held', '192.0.2.0/24'), 0);
    assert.equal(at('telemetry_age_seconds', '192.0.2.0/24'), 0);
    assert.equal(at('telemetry', '192.0.2.0/24', { state: 'ok' }), 1);
    assert.equal(at('telemetry', '192.0.2.0/24', { state: 'unknown' }), 0);
    assert.equal(at('phase', '192.0.2.0/24', { phase: 'protecting' }), 1);
    assert.equal(at('last_cycle_timestamp_seconds', '192.0.2.0/24'), T0 / 1000);
    assert.equal(at('under_attack', '2001:db8::/48'), 1);
    assert.equal(at('held', '2001:db8::/48'), 1);
    assert.equal(at('locked', '2001:db8::/48'), 1);
    assert.equal(at('seconds_until_withdraw', '2001:db8::/48'), undefined, 'no withdraw due: no series');
    assert.equal(valueOf(s, 'mt_autowithdraw_shadow_mode'), 0);
  });

  it('time-dependent values are computed at scrape time', async () => {
    metrics.observe(status());
    now = T0 + 30_000;
    assert.equal(await v('seconds_until_withdraw', { prefix: '192.0.2.0/24' }), 750);
    assert.equal(await v('telemetry_age_seconds', { prefix: '192.0.2.0/24' }), 30);
    metrics.observe(status({ withdrawDueAtMs: T0 + 60_000 }));
    now = T0 + 120_000;
    assert.equal(await v('seconds_until_withdraw', { prefix: '192.0.2.0/24' }), 0, 'never negative');
  });

  it('unknown telemetry: the age grows from the last good measurement and the state says so', async () => {
    metrics.observe(
      status({
        telemetry: 'lost',
        unknownSinceMs: T0 - 300_000,
        lastMeasurement: { atMs: T0 - 360_000, packets: 0, bits: 0, mbps: 0, systems: [] },
        withdrawDueAtMs: null,
      }),
    );
    assert.equal(await v('telemetry_age_seconds', { prefix: '192.0.2.0/24' }), 360);
    assert.equal(await v('telemetry', { prefix: '192.0.2.0/24', state: 'lost' }), 1);
    assert.equal(await v('telemetry', { prefix: '192.0.2.0/24', state: 'ok' }), 0);
  });

  it('drops a prefix not heard of for three intervals, but keeps one in its cooldown until it ends', async () => {
    metrics.observe(status());
    metrics.observe(
      status({ cidr: '198.51.100.0/24', phase: 'cooldown', cooldownUntilMs: T0 + 900_000, withdrawDueAtMs: null }),
    );
    now = T0 + 181_000;
    assert.deepEqual(metrics.prefixes(), ['198.51.100.0/24']);
    assert.equal(await v('calm_seconds', { prefix: '192.0.2.0/24' }), undefined);
    assert.equal(await v('phase', { prefix: '198.51.100.0/24', phase: 'cooldown' }), 1);
    now = T0 + 900_000 + 181_000;
    assert.deepEqual(metrics.prefixes(), []);
  });

  it('an ended workflow disappears at once', async () => {
    metrics.observe(status());
    metrics.observe(status({ phase: 'ended', cycles: 6 }));
    assert.deepEqual(metrics.prefixes(), []);
    assert.equal(await v('calm_seconds', { prefix: '192.0.2.0/24' }), undefined);
  });

  it('counts decisions by prefix, action and reason, once per cycle even if the cycle is published again', async () => {
    metrics.observe(status({ cycles: 7, lastCycleAtMs: T0, lastDecisions: ['attack_started'] }));
    metrics.observe(status({ cycles: 7, lastCycleAtMs: T0, lastDecisions: ['attack_started'] }));
    metrics.observe(
      status({
        cycles: 8,
        lastCycleAtMs: T0 + 60_000,
        lastDecisions: ['withdraw_blocked:held', 'telemetry_lost:stale'],
      }),
    );
    metrics.observe(status({ cycles: 9, lastCycleAtMs: T0 + 120_000, lastDecisions: ['withdraw_blocked:held'] }));
    const p = { prefix: '192.0.2.0/24' };
    assert.equal(await v('decisions_total', { ...p, action: 'attack_started', reason: '' }), 1);
    assert.equal(await v('decisions_total', { ...p, action: 'withdraw_blocked', reason: 'held' }), 2);
    assert.equal(await v('decisions_total', { ...p, action: 'telemetry_lost', reason: 'stale' }), 1);
  });

  it('splits decision strings into action and reason', () => {
    assert.deepEqual(splitDecision('withdraw'), { action: 'withdraw', reason: '' });
    assert.deepEqual(splitDecision('withdraw_blocked:min_advertised'), {
      action: 'withdraw_blocked',
      reason: 'min_advertised',
    });
  });

  it('reports shadow mode', async () => {
    const r = new Registry();
    createDecisionMetrics({ registry: r, checkIntervalMs: 60_000, shadow: true });
    assert.equal(valueOf(parseMetrics(await r.metrics()), 'mt_autowithdraw_shadow_mode'), 1);
  });
});
