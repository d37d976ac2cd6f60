// The demo's verdict: expected withdraw windows (outage and downtime not counted as calm) and the outcome checks.
import assert from 'node:assert/strict';
import { advance, evaluate, expectedWithdrawWindow, type Observed } from '../../src/demo/expectations';
import { DEMO_PREFIXES, prefixByKey } from '../../src/demo/scenario';

const T0 = 1_000_000;
const at = (s: number): number => T0 + s * 1000;
const cidr = (key: string): string => prefixByKey(key).cidr;
const bgp = (key: string): string => prefixByKey(key).bgpPrefixId;

/** What a correct run looks like. */
function goodRun(): Observed {
  const withdraw = (key: string, s: number) => ({
    atMs: at(s),
    bgpPrefixId: bgp(key),
    advertised: false,
    outcome: 'changed',
  });
  const msg = (title: string, key: string, s: number) => ({ atMs: at(s), text: `${title}\nPrefix: ${cidr(key)}` });
  return {
    t0Ms: T0,
    downtime: [],
    patches: [withdraw('mail', 63), withdraw('shop', 73), withdraw('api', 89)],
    workflows: {
      shop: { state: 'completed', reason: 'cooldown_elapsed' },
      api: { state: 'completed', reason: 'cooldown_elapsed' },
      mail: { state: 'completed', reason: 'cooldown_elapsed' },
      core: { state: 'running', reason: null },
      lab: { state: null, reason: null },
    },
    messages: [
      msg('📡 TRAFFIC DATA LOST — auto-withdraw frozen', 'mail', 34),
      msg('🔒 WITHDRAW SKIPPED — PREFIX LOCKED', 'core', 66),
      ...['mail', 'shop', 'api'].map((k, i) => msg('✅ PREFIX AUTO-WITHDRAWN', k, 64 + i * 10)),
    ],
    withdrawals: ['mail', 'shop', 'api'].map((k) => ({
      prefix: cidr(k),
      status: 'success',
      method: 'autowithdraw_daemon',
    })),
  };
}

const failures = (o: Observed): string[] =>
  evaluate(o)
    .filter((c) => !c.ok)
    .map((c) => c.text);

describe('demo expectations', () => {
  it('advance() skips excluded stretches', () => {
    assert.equal(advance(0, 10, []), 10);
    assert.equal(
      advance(0, 10, [
        { fromMs: 4, untilMs: 8 },
        { fromMs: 6, untilMs: 12 },
      ]),
      18,
    );
    assert.equal(advance(5, 10, [{ fromMs: 0, untilMs: 7 }]), 17);
  });

  it('expected withdraw windows: 20 s of calm after the last attack has left the 6 s lookback, outage excluded', () => {
    const w = (key: string) => {
      const x = expectedWithdrawWindow(key, T0);
      return [(x.fromMs - T0) / 1000, (x.untilMs - T0) / 1000];
    };
    assert.deepEqual(w('shop'), [71, 86], 'attack until +46 s; calm starts after the outage');
    assert.deepEqual(w('mail'), [59, 78], 'calm from about +16 s, frozen from +26 to +52 s');
    assert.deepEqual(w('api'), [86, 102], 'second attack until +62 s');
  });

  it('time the demo was stopped pushes the latest acceptable withdraw back, never the earliest', () => {
    const base = expectedWithdrawWindow('api', T0);
    const later = expectedWithdrawWindow('api', T0, [{ fromMs: at(70), untilMs: at(85) }]);
    assert.equal(later.fromMs, base.fromMs);
    assert.ok(later.untilMs >= base.untilMs + 15_000, `${later.untilMs - base.untilMs} ms later`);
  });

  it('a run that did everything right passes every check', () => {
    const checks = evaluate(goodRun());
    assert.ok(checks.length >= 15);
    assert.deepEqual(failures(goodRun()), []);
  });

  it('fails a withdraw before the calm period has passed', () => {
    const o = goodRun();
    o.patches[1] = { ...o.patches[1]!, atMs: at(60) };
    assert.match(failures(o).join('\n'), /shop .*withdrawn once at \+60\.0s \(expected \+71\.0s/);
  });

  it('fails a withdraw made much later than due', () => {
    const o = goodRun();
    o.patches[2] = { ...o.patches[2]!, atMs: at(120) };
    assert.match(failures(o).join('\n'), /api .*withdrawn once at \+120\.0s/);
  });

  it('fails anything PATCHed while the analytics were dark, and a double withdraw', () => {
    const o = goodRun();
    o.patches.push({ atMs: at(40), bgpPrefixId: bgp('mail'), advertised: false, outcome: 'noop' });
    const f = failures(o).join('\n');
    assert.match(f, /nothing PATCHed while the analytics were dark .*: 1 PATCH/);
    assert.match(f, /mail .*withdrawn exactly once — saw 1 withdraw\(s\) among 2 PATCH/);
  });

  it('fails a PATCH of the locked prefix, even a refused one', () => {
    const o = goodRun();
    o.patches.push({ atMs: at(70), bgpPrefixId: bgp('core'), advertised: false, outcome: 'locked' });
    assert.match(failures(o).join('\n'), /core .*\(locked\): never PATCHed \(saw 1\)/);
  });

  it('fails a missing alert, a missing or repeated message, a missing record, a workflow that did not end', () => {
    const o = goodRun();
    o.messages = o.messages.filter((m) => !/TRAFFIC DATA LOST/.test(m.text));
    o.messages.push({ ...o.messages.find((m) => m.text.includes(cidr('shop')))! });
    o.withdrawals = o.withdrawals.filter((w) => w.prefix !== cidr('api'));
    o.workflows.mail = { state: 'running', reason: null };
    o.workflows.lab = { state: 'running', reason: null };
    const f = failures(o).join('\n');
    assert.match(f, /TRAFFIC DATA LOST/);
    assert.match(f, /shop .*one "PREFIX AUTO-WITHDRAWN" message \(saw 2\)/);
    assert.match(f, /api .*one withdrawal_history row .*\(saw 0\)/);
    assert.match(f, /mail .*protection ended after the re-advertise cooldown \(workflow running\)/);
    assert.match(f, /lab .*never protected/);
  });

  it('covers every prefix of the scenario, IPv4 and IPv6', () => {
    const text = evaluate(goodRun())
      .map((c) => c.text)
      .join('\n');
    for (const p of DEMO_PREFIXES) assert.ok(text.includes(p.cidr), p.cidr);
    assert.ok(DEMO_PREFIXES.some((p) => p.cidr.includes(':')) && DEMO_PREFIXES.some((p) => !p.cidr.includes(':')));
  });
});
