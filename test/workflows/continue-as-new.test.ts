// Continue-as-new carries state exactly (time-skipping server, 60 s / 15 min, a run every few cycles): mid-calm and
// with the peak of an earlier attack, the withdraw lands on time and its message shows that peak, with the prefix,
// description, calm duration, event ID and time.
import assert from 'node:assert/strict';
import { formatCount, formatMbps, formatTimestamp } from '../../src/notifications/templates';
import { testPrefix } from '../helpers/fixture';
import { advanceMinutesUntil, startProtection, withdrawn } from '../helpers/protection-steps';
import { readRows } from '../helpers/records-file';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const P = testPrefix('203.0.113.0/24', 'Hosting <edge> & co', 'bc', { parentPrefixId: 'pc' });

describe('continue-as-new carries the calm timer and the peak (time-skipping server)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({ taskQueue: 'continue-as-new', prefixes: [P] });

  it('a new run every few cycles: the withdraw is on time and its message shows the earlier attack', async () => {
    const { env, fx } = sys();
    const now = await env.currentTimeMs();
    fx.cf.traffic.addFlow({
      destination: P.cidr,
      spread: 64,
      startMs: now - 3 * MIN,
      endMs: now + 2 * MIN,
      packetsPerSecond: 60_000,
      bitsPerSecond: 500e6,
      outcome: 'drop',
      mitigationSystem: 'flowtrackd',
    });
    // A few cycles per run: many continue-as-new during the calm period.
    const handle = await startProtection(sys(), P, { maxHistoryEvents: 40 });
    const seen = await advanceMinutesUntil(sys(), handle, withdrawn, 30);
    const done = seen.at(-1)!;
    assert.ok(done.lastWithdraw, 'withdrawn');
    const calm = seen.filter((s) => !s.underAttack && s.calmSinceMs !== null && s.lastWithdraw === null);
    const calmSince = calm[0]!.calmSinceMs!;
    const peak = calm[0]!.peak!;
    assert.ok(peak.packets > 5000 && peak.systems.includes('flowtrackd'), 'the attack was measured');

    // Several runs during the calm period, each carrying the same calm start, growing calm and the same peak.
    const runsDuringCalm = new Set(calm.map((s) => s.runs));
    assert.ok(runsDuringCalm.size >= 3, `${runsDuringCalm.size} runs during the calm period`);
    for (const s of calm) {
      assert.equal(s.calmSinceMs, calmSince);
      assert.deepEqual(s.peak, peak);
    }
    for (let i = 1; i < calm.length; i++) {
      assert.ok(calm[i]!.calmAccumulatedMs >= calm[i - 1]!.calmAccumulatedMs, 'calm never lost across runs');
      assert.ok(calm[i]!.cycles > calm[i - 1]!.cycles, 'a cycle every minute across runs');
    }

    const withdrawnAt = done.lastWithdraw.atMs;
    const lateness = withdrawnAt - (calmSince + 15 * MIN);
    assert.ok(lateness >= 0 && lateness <= MIN, `withdraw came ${lateness} ms after 15 calm minutes`);
    const patches = fx.cf.stats.patches().filter((x) => x.bgpPrefixId === P.bgpPrefixId);
    assert.deepEqual(
      patches.map((x) => [x.advertised, x.outcome]),
      [[false, 'changed']],
    );

    const messages = fx.tg.messages.filter((m) => m.plainText.includes(P.cidr));
    assert.equal(messages.length, 1, messages.map((m) => m.plainText).join('\n---\n'));
    const text = messages[0]!.plainText;
    assert.match(text, /PREFIX AUTO-WITHDRAWN/);
    assert.ok(text.includes(`Description: ${P.description}`), text);
    assert.ok(text.includes(`Event ID: ${done.lastWithdraw.eventId}`), text);
    assert.match(text, /Calm duration: 15m\n/);
    assert.ok(text.includes(`Peak dropped packets: ${formatCount(peak.packets)} pkts`), text);
    assert.ok(text.includes(`(${formatCount(peak.pps!)} pps)`), text);
    assert.ok(text.includes(`Peak dropped traffic: ${formatMbps(peak.mbps)}`), text);
    assert.ok(text.includes('Mitigation systems: flowtrackd'), text);
    assert.ok(text.includes(`Attack first seen: ${formatTimestamp(peak.firstAttackAtMs)}`), text);
    assert.ok(text.includes(`Timestamp: ${formatTimestamp(withdrawnAt)}`), text);

    const [event] = readRows<{ pps: string; mbps: string }>(
      fx.databasePath,
      'SELECT packets_per_second AS pps, megabits_per_second AS mbps FROM attack_events WHERE prefix = ?',
      P.cidr,
    );
    assert.equal(Number(event!.pps), Math.round(peak.pps! * 100) / 100, 'packets_per_second filled from the peak');
    assert.equal(Number(event!.mbps), Math.round(peak.mbps * 100) / 100);
  });
});
