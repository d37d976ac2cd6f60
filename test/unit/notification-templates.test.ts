// Notification rendering: facts per kind, escaping, acceptance by the simulator's HTML parser, and splitting.
import assert from 'node:assert/strict';
import { b, code, escapeHtml, i, unescapeHtml } from '../../src/notifications/html';
import {
  DEFAULT_FOOTER,
  formatCount,
  formatDuration,
  formatMbps,
  formatTimestamp,
  plainTextOf,
  renderNotification,
  splitForTelegram,
} from '../../src/notifications/templates';
import type { Notification, NotificationKind } from '../../src/notifications/types';
import { parseTelegramHtml } from '../../src/simulators/telegram';

const AT = Date.UTC(2026, 0, 19, 14, 30, 0);
const HOSTILE = '<script>alert("x")</script> R&D & Co </b> &amp; 🚀';
const prefix = { cidr: '185.54.81.0/24', description: 'DMZ' };
const hostilePrefix = { cidr: '2a02:4460:1::/48', description: HOSTILE };
const peak = {
  packets: 1_250_000,
  bits: 9_876_543_210,
  mbps: 1234.567,
  systems: ['dosd', 'flowtrackd'],
  atMs: AT - 40 * 60_000,
  firstAttackAtMs: AT - 55 * 60_000,
};

/** One sample of every kind (with variants); the record type makes a new kind fail to compile here. */
const samples: { [K in NotificationKind]: Array<Extract<Notification, { kind: K }>> } = {
  worker_started: [
    {
      kind: 'worker_started',
      host: 'lg.example.net',
      calmPeriodMs: 15 * 60_000,
      checkIntervalMs: 60_000,
      prefixCount: 5,
      shadow: false,
      atMs: AT,
    },
  ],
  prefix_withdrawn: [
    {
      kind: 'prefix_withdrawn',
      trigger: 'auto',
      prefix,
      eventId: '20260119143000-withdraw',
      calmMs: 912_000,
      peak,
      shadow: false,
      atMs: AT,
    },
  ],
  prefix_advertised: [
    {
      kind: 'prefix_advertised',
      trigger: 'manual',
      prefix,
      eventId: '20260119150000-advertise',
      actor: 'alice',
      shadow: false,
      atMs: AT,
    },
  ],
  withdraw_failed: [
    {
      kind: 'withdraw_failed',
      prefix,
      eventId: '20260119143000-withdraw',
      error: 'HTTP 429 <rate limited> code 1002',
      attempts: 3,
      nextAttemptAtMs: null,
      atMs: AT,
    },
  ],
  telemetry_lost: [
    {
      kind: 'telemetry_lost',
      prefix,
      reason: 'GraphQL timeout',
      unknownSinceMs: AT - 12 * 60_000,
      calmMs: 7 * 60_000,
      underAttack: false,
      atMs: AT,
    },
  ],
  telemetry_restored: [{ kind: 'telemetry_restored', prefix, lostForMs: 754_000, atMs: AT }],
  withdraw_skipped_locked: [{ kind: 'withdraw_skipped_locked', prefix, atMs: AT }],
  withdraw_deferred: [
    {
      kind: 'withdraw_deferred',
      prefix,
      error: 'CloudflareUnavailableError: HTTP 503 <upstream>',
      cycles: 5,
      sinceMs: AT - 5 * 60_000,
      atMs: AT,
    },
  ],
  advertise_failed: [
    {
      kind: 'advertise_failed',
      prefix,
      actor: 'alice@noc1: customer asked',
      requestedAtMs: AT - 10 * 60_000,
      error: 'PrefixLockedError: 185.54.81.0/24 is locked',
      atMs: AT,
    },
  ],
  protection_ended: [
    { kind: 'protection_ended', prefix, reason: 'not_on_demand', detail: 'on_demand.advertised is null', atMs: AT },
    { kind: 'protection_ended', prefix, reason: 'prefix_missing', detail: 'HTTP 404, code 1000', atMs: AT },
  ],
  prefix_missing: [{ kind: 'prefix_missing', prefix, parentPrefixId: 'p4', bgpPrefixId: 'b81', atMs: AT }],
  network_attacks_detected: [
    {
      kind: 'network_attacks_detected',
      windowStartMs: AT - 15 * 60_000,
      windowEndMs: AT,
      attacks: [
        {
          key: 'id:a1b2c3',
          attackId: 'a1b2c3',
          attackVector: 'SYN Flood',
          ruleName: 'SYN flood protection',
          events: 12,
          packets: 1_250_000,
          bits: 9_876_543_210,
          firstSeenMs: AT - 14 * 60_000,
          lastSeenMs: AT - 60_000,
          topTargets: [{ value: '185.54.81.10:443', packets: 1_000_000 }],
          topSources: [{ value: '203.0.113.7 (CN AS4134)', packets: 700_000 }],
          distinctSources: 3,
          colos: ['FRA (DE)', 'AMS (NL)'],
          protocols: ['TCP'],
        },
      ],
      newEvents: 20,
      continuingEvents: 8,
      truncated: false,
      atMs: AT,
    },
  ],
};

function accepted(html: string): string {
  const parsed = parseTelegramHtml(html);
  assert.ok(parsed.ok, `the simulator rejects the message: ${parsed.ok ? '' : parsed.error}\n${html}`);
  assert.ok(parsed.text.length <= 4096, 'message is too long');
  return parsed.text;
}

/** Renders, checks the simulator accepts it, and returns the text a Telegram user would read. */
function shown(n: Notification, opts?: Parameters<typeof renderNotification>[1]): string {
  const html = renderNotification(n, opts);
  const text = accepted(html);
  assert.equal(plainTextOf(html), text, 'plainTextOf agrees with the Bot API parser');
  return text;
}

function withHostile(n: Notification): Notification {
  if (n.kind === 'worker_started') return { ...n, host: HOSTILE };
  if (n.kind === 'network_attacks_detected')
    return { ...n, attacks: n.attacks.map((a) => ({ ...a, attackVector: HOSTILE })) };
  return { ...n, prefix: hostilePrefix };
}

describe('notification templates', () => {
  describe('html helpers', () => {
    it('escapes &, <, > and " and the helpers wrap escaped text', () => {
      assert.equal(escapeHtml(`a & b < c > d "e" 'f'`), `a &amp; b &lt; c &gt; d &quot;e&quot; 'f'`);
      assert.equal(b('x<y'), '<b>x&lt;y</b>');
      assert.equal(i('R&D'), '<i>R&amp;D</i>');
      assert.equal(code('<tag>'), '<code>&lt;tag&gt;</code>');
    });

    it('unescapeHtml inverts escapeHtml and decodes numeric entities', () => {
      for (const s of [HOSTILE, '&amp;lt;', '&&&;;', '"quoted" <>', '']) assert.equal(unescapeHtml(escapeHtml(s)), s);
      assert.equal(unescapeHtml('&#65;&#x1F680;&#x110000;&nbsp;'), 'A🚀&#x110000;&nbsp;');
    });
  });

  describe('formatting', () => {
    it('formats counts, Mbps, durations and timestamps', () => {
      assert.equal(formatCount(1_250_000), '1,250,000');
      assert.equal(formatCount(999), '999');
      assert.equal(formatCount(0), '0');
      assert.equal(formatMbps(1234.567), '1,234.57 Mbps');
      assert.equal(formatMbps(0), '0.00 Mbps');
      assert.equal(formatDuration(912_000), '15m 12s');
      assert.equal(formatDuration(15 * 60_000), '15m');
      assert.equal(formatDuration(60_000), '1m');
      assert.equal(formatDuration(42_900), '42s');
      assert.equal(formatDuration(0), '0s');
      assert.equal(formatDuration(2 * 3_600_000 + 5 * 60_000 + 7_000), '2h 5m');
      assert.equal(formatDuration(3 * 86_400_000 + 3_600_000), '3d 1h');
      assert.equal(formatDuration(86_400_000 + 59_000), '1d');
      assert.equal(formatTimestamp(AT), '2026-01-19T14:30:00Z');
    });
  });

  describe('every kind', () => {
    for (const [kind, list] of Object.entries(samples)) {
      for (const n of list) {
        it(`${kind}: renders valid Telegram HTML with the footer and a UTC timestamp`, () => {
          const text = shown(n);
          assert.ok(text.includes('CLOUDFLARE DDoS PROTECTION'));
          assert.ok(text.endsWith(DEFAULT_FOOTER), text);
          assert.ok(text.includes('2026-01-19T14:30:00Z'));
        });

        it(`${kind}: escapes a hostile description and shows it verbatim`, () => {
          const hostile = withHostile(n);
          const html = renderNotification(hostile);
          assert.ok(!html.includes('<script>'), html);
          assert.ok(html.includes('&lt;script&gt;'), html);
          assert.ok(shown(hostile).includes(HOSTILE));
        });
      }
    }
  });

  describe('facts per kind', () => {
    it('worker_started: server, calm period, check interval, prefix count, mode', () => {
      const n = samples.worker_started[0]!;
      const text = shown(n);
      assert.match(text, /AUTO-WITHDRAW WORKER STARTED/);
      assert.match(text, /Server: lg\.example\.net/);
      assert.match(text, /Calm period: 15m/);
      assert.match(text, /Check interval: 1m/);
      assert.match(text, /Prefixes monitored: 5/);
      assert.match(text, /LIVE/);
      assert.match(shown({ ...n, shadow: true }), /SHADOW/);
    });

    it('prefix_withdrawn (auto): event id, prefix, description, calm, peak stats, BGP status', () => {
      const text = shown(samples.prefix_withdrawn[0]!);
      assert.match(text, /PREFIX AUTO-WITHDRAWN/);
      assert.match(text, /Event ID: 20260119143000-withdraw/);
      assert.match(text, /Prefix: 185\.54\.81\.0\/24/);
      assert.match(text, /Description: DMZ/);
      assert.match(text, /ATTACK PEAK STATS/);
      assert.match(text, /Calm duration: 15m 12s/);
      assert.match(text, /1,250,000 pkts/);
      assert.match(text, /1,234\.57 Mbps/);
      assert.match(text, /dosd, flowtrackd/);
      assert.match(text, /Withdrawn/);
      assert.match(text, /Direct \(Magic Transit OFF\)/);
      assert.doesNotMatch(text, /SHADOW|MANUAL/);
    });

    it('prefix_withdrawn shows peak packets per second when known', () => {
      const n = samples.prefix_withdrawn[0]!;
      assert.match(shown({ ...n, peak: { ...peak, pps: 4166.7 } }), /1,250,000 pkts \(4,167 pps\)/);
      assert.doesNotMatch(shown(n), /pps/);
    });

    it('withdraw_deferred: nothing changed, how long, the error', () => {
      const text = shown(samples.withdraw_deferred[0]!);
      assert.match(text, /WITHDRAW DEFERRED/);
      assert.match(text, /nothing was changed/);
      assert.match(text, /Cycles deferred: 5/);
      assert.match(text, /Deferred since: 2026-01-19T14:25:00Z/);
      assert.match(text, /HTTP 503 <upstream>/);
      assert.doesNotMatch(text, /WITHDRAWAL FAILED/);
    });

    it('advertise_failed: who queued it, when, why, and that the prefix is not protected', () => {
      const text = shown(samples.advertise_failed[0]!);
      assert.match(text, /QUEUED ADVERTISE FAILED — prefix NOT protected/);
      assert.match(text, /Queued by: alice@noc1: customer asked/);
      assert.match(text, /Queued at: 2026-01-19T14:20:00Z/);
      assert.match(text, /PrefixLockedError/);
    });

    it('protection_ended and prefix_missing name the cause', () => {
      const [notOnDemand, missing] = samples.protection_ended;
      assert.match(shown(notOnDemand!), /on-demand disabled/);
      assert.match(shown(missing!), /wrong bgp_prefix_id/);
      const text = shown(samples.prefix_missing[0]!);
      assert.match(text, /PREFIX MISSING AT CLOUDFLARE/);
      assert.match(text, /BGP prefix ID: b81/);
      assert.match(text, /IP prefix \(parent\) ID: p4/);
    });

    it('prefix_withdrawn without a peak says no attack traffic was observed', () => {
      const text = shown({ ...samples.prefix_withdrawn[0]!, peak: null });
      assert.match(text, /no attack traffic observed/);
      assert.doesNotMatch(text, /pkts/);
    });

    it('prefix_withdrawn (manual) names the operator', () => {
      const text = shown({ ...samples.prefix_withdrawn[0]!, trigger: 'manual', actor: 'bob <noc>' });
      assert.match(text, /MANUAL PREFIX WITHDRAWAL/);
      assert.match(text, /manual by bob <noc>/);
      assert.doesNotMatch(text, /AUTO-WITHDRAWN/);
    });

    it('prefix_withdrawn (shadow) says clearly that nothing changed', () => {
      const text = shown({ ...samples.prefix_withdrawn[0]!, shadow: true });
      assert.match(text, /SHADOW MODE — would withdraw, nothing changed/);
      assert.doesNotMatch(text, /PREFIX AUTO-WITHDRAWN/);
      assert.doesNotMatch(text, /Magic Transit OFF/);
      assert.match(text, /unchanged/);
    });

    it('prefix_advertised: manual, queued and shadow variants', () => {
      const n = samples.prefix_advertised[0]!;
      const manual = shown(n);
      assert.match(manual, /MANUAL PREFIX ADVERTISEMENT/);
      assert.match(manual, /manual by alice/);
      assert.match(manual, /Event ID: 20260119150000-advertise/);
      assert.match(manual, /Magic Transit ON/);
      assert.match(shown({ ...n, trigger: 'queued' }), /QUEUED/);
      const shadow = shown({ ...n, shadow: true });
      assert.match(shadow, /SHADOW MODE — would advertise, nothing changed/);
      assert.doesNotMatch(shadow, /Magic Transit ON/);
    });

    it('withdraw_failed: error text, attempts, action required, manual intervention', () => {
      const n = samples.withdraw_failed[0]!;
      const text = shown(n);
      assert.match(text, /WITHDRAWAL FAILED — action required/);
      assert.ok(text.includes('HTTP 429 <rate limited> code 1002'));
      assert.match(text, /Attempts: 3/);
      assert.match(text, /Manual intervention needed/);
      const retrying = shown({ ...n, nextAttemptAtMs: AT + 120_000 });
      assert.match(retrying, /Next automatic attempt: 2026-01-19T14:32:00Z/);
      assert.match(retrying, /manual intervention/i);
    });

    it('telemetry_lost: auto-withdraw frozen for the prefix, since when and why', () => {
      const n = samples.telemetry_lost[0]!;
      const text = shown(n);
      assert.match(text, /Auto-withdraw is frozen for 185\.54\.81\.0\/24 until traffic data is back/);
      assert.match(text, /No data since: 2026-01-19T14:18:00Z \(12m ago\)/);
      assert.match(text, /Reason: GraphQL timeout/);
      assert.match(text, /calm/);
      assert.match(shown({ ...n, underAttack: true }), /UNDER ATTACK/);
    });

    it('telemetry_restored: resumed, and for how long data was missing', () => {
      const text = shown(samples.telemetry_restored[0]!);
      assert.match(text, /TRAFFIC DATA RESTORED/);
      assert.match(text, /Auto-withdraw resumed for 185\.54\.81\.0\/24/);
      assert.match(text, /Data was missing for: 12m 34s/);
    });

    it('network_attacks_detected: one message per run, each new attack with its target, volume and sources', () => {
      const n = samples.network_attacks_detected[0]!;
      const text = shown(n);
      assert.match(text, /NEW ATTACK MITIGATED \(network analytics\)/);
      assert.match(text, /New attacks: 1/);
      assert.match(text, /Events recorded: 20 \(8 of attacks seen before\)/);
      assert.match(text, /Attack ID: a1b2c3/);
      assert.match(text, /Vector: SYN Flood/);
      assert.match(text, /Targets: 185\.54\.81\.10:443/);
      assert.match(text, /Dropped: 1,250,000 pkts, 9\.88 Gb \(12 samples\)/);
      assert.match(text, /3 distinct; top: 203\.0\.113\.7 \(CN AS4134\)/);
      assert.match(text, /Scrubbed at: FRA \(DE\), AMS \(NL\)/);
      const many = { ...n, attacks: Array.from({ length: 8 }, (_, k) => ({ ...n.attacks[0]!, attackId: `atk-${k}` })) };
      const manyText = shown(many);
      assert.match(manyText, /NEW ATTACKS MITIGATED/);
      assert.match(manyText, /ATTACK 5 of 8/);
      assert.doesNotMatch(manyText, /atk-5/);
      assert.match(manyText, /3 more new attacks/);
    });

    it('withdraw_skipped_locked: locked, nothing changed', () => {
      const text = shown(samples.withdraw_skipped_locked[0]!);
      assert.match(text, /PREFIX LOCKED/);
      assert.match(text, /stays advertised/);
    });
  });

  describe('footer', () => {
    it('is configurable, escaped, and can be dropped', () => {
      const n = samples.withdraw_skipped_locked[0]!;
      const custom = shown(n, { footer: 'ACME <SOC> & NOC' });
      assert.ok(custom.endsWith('ACME <SOC> & NOC'));
      assert.ok(!custom.includes(DEFAULT_FOOTER));
      const none = shown(n, { footer: '' });
      assert.ok(none.endsWith('2026-01-19T14:30:00Z'), none);
    });
  });

  describe('the simulator HTML parser (the oracle used above)', () => {
    it('accepts documented tags and entities and reports entities in UTF-16 units', () => {
      const r = parseTelegramHtml(
        '🚀<b>a</b><strong>b</strong><i>c</i><u>d</u><s>e</s><tg-spoiler>f</tg-spoiler>' +
          '<span class="tg-spoiler">g</span><a href="https://x.test/?a=1&amp;b=2">h</a>' +
          '<pre><code class="language-ts">x &lt; y</code></pre><blockquote expandable>q</blockquote>&#65;&#x42;&quot;',
      );
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.equal(r.text, '🚀abcdefghx < yqAB"');
      assert.deepEqual(r.entities[0], { type: 'bold', offset: 2, length: 1 });
      assert.ok(r.entities.some((e) => e.type === 'text_link' && e.url === 'https://x.test/?a=1&b=2'));
      assert.ok(r.entities.some((e) => e.type === 'pre' && e.language === 'ts'));
      assert.ok(r.entities.some((e) => e.type === 'expandable_blockquote'));
    });

    it('rejects what Telegram rejects', () => {
      const bad = [
        'a < b',
        'R&D',
        '&nbsp;',
        '&#xD800;',
        '<b>open',
        'close</b>',
        '<b><i>x</b></i>',
        '<script>x</script>',
        '<br>',
        '<span>x</span>',
        '<a>no href</a>',
        '<code><b>x</b></code>',
        '<blockquote><blockquote>x</blockquote></blockquote>',
      ];
      for (const html of bad) assert.equal(parseTelegramHtml(html).ok, false, html);
    });
  });

  describe('splitForTelegram', () => {
    it('returns a short message unchanged', () => {
      const html = renderNotification(samples.prefix_withdrawn[0]!);
      assert.deepEqual(splitForTelegram(html), [html]);
    });

    it('splits a long message at line breaks into parts that each fit and parse', () => {
      const lines = Array.from({ length: 300 }, (_, k) => `${b(`line ${k}`)} ${escapeHtml(`value <${k}> & more`)}`);
      const html = lines.join('\n');
      assert.ok(plainTextOf(html).length > 4096);
      const parts = splitForTelegram(html);
      assert.ok(parts.length >= 2);
      for (const p of parts) assert.ok(accepted(p).length <= 4096);
      // Cuts happen at line breaks: every part starts with a whole line.
      for (const p of parts) assert.match(p, /^<b>line \d+<\/b>/);
      assert.equal(parts.join('\n'), html);
    });

    it('never cuts inside an entity and closes/reopens tags around a cut', () => {
      const html = `<b>${'&amp;'.repeat(25)}<i>${'x&lt;'.repeat(10)}</i></b> tail`;
      const parts = splitForTelegram(html, 10);
      for (const p of parts) {
        const text = accepted(p);
        assert.ok(text.length <= 10, `${p} → ${text.length}`);
      }
      assert.equal(parts.map((p) => plainTextOf(p)).join(''), plainTextOf(html));
      assert.deepEqual(parts, [
        `<b>${'&amp;'.repeat(10)}</b>`,
        `<b>${'&amp;'.repeat(10)}</b>`,
        `<b>${'&amp;'.repeat(5)}<i>x&lt;x&lt;x</i></b>`,
        '<b><i>&lt;x&lt;x&lt;x&lt;x&lt;x</i></b>',
        '<b><i>&lt;x&lt;x&lt;</i></b> tail',
      ]);
    });

    it('reopens a link with its href and drops the separator at a cut', () => {
      const html = '<a href="https://e.x/?a=1&amp;b=2">link text here</a> and <pre>code line one</pre>';
      const parts = splitForTelegram(html, 12);
      for (const p of parts) assert.ok(accepted(p).length <= 12);
      assert.deepEqual(parts.slice(0, 2), [
        '<a href="https://e.x/?a=1&amp;b=2">link text</a>',
        '<a href="https://e.x/?a=1&amp;b=2">here</a> and',
      ]);
      assert.ok(parts.slice(2).every((p) => p.startsWith('<pre>') && p.endsWith('</pre>')));
    });

    it('never separates a surrogate pair', () => {
      const parts = splitForTelegram('🚀'.repeat(9), 4);
      assert.deepEqual(parts, ['🚀🚀', '🚀🚀', '🚀🚀', '🚀🚀', '🚀']);
    });

    it('keeps every part valid and loses no text on random markup (seeded)', () => {
      let seed = 12345;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const words = ['alpha', 'R&D', '<x>', '🚀', '"q"', 'beta gamma', '\n', ' ', 'ü'];
      const wrap = ['b', 'i', 'u', 's', 'code', 'tg-spoiler'];
      for (let round = 0; round < 200; round++) {
        let html = '';
        for (let k = 0; k < 40; k++) {
          const w = escapeHtml(words[rand(words.length)]!);
          const tag = rand(3) === 0 ? wrap[rand(wrap.length)]! : null;
          html += tag ? `<${tag}>${w}</${tag}>` : w;
          if (rand(5) === 0) html = `<b>${html}</b>`;
        }
        accepted(html);
        const limit = 2 + rand(60);
        const parts = splitForTelegram(html, limit);
        for (const p of parts) assert.ok(accepted(p).length <= limit, `round ${round}: ${p}`);
        const squash = (s: string): string => s.replace(/\s+/g, '');
        assert.equal(squash(parts.map(plainTextOf).join('')), squash(plainTextOf(html)), `round ${round}`);
      }
    });

    it('rejects a limit too small to hold one character', () => {
      assert.throws(() => splitForTelegram('abc', 1), RangeError);
    });
  });
});
