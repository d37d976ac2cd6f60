// Unit tests of the pure CIDR library: parsing, canonical text, containment and overlap for IPv4 and IPv6.
import assert from 'node:assert/strict';
import {
  CidrParseError,
  canonicalCidr,
  canonicalIp,
  cidrContainsCidr,
  cidrContainsIp,
  cidrOfAddress,
  cidrSize,
  cidrsOverlap,
  formatIp,
  isValidCidr,
  parseCidr,
  parseIp,
} from '../../src/domain/cidr';

describe('cidr', () => {
  describe('parseIp', () => {
    it('parses IPv4 dotted quads into 32-bit values', () => {
      assert.deepEqual(parseIp('0.0.0.0'), { family: 4, value: 0n });
      assert.deepEqual(parseIp('255.255.255.255'), { family: 4, value: 0xffffffffn });
      assert.deepEqual(parseIp('185.54.81.7'), { family: 4, value: 0xb9365107n });
    });

    it('parses every RFC 4291 IPv6 text form to the same value', () => {
      const expected = 0x20010db8000000000000000000000001n;
      for (const s of [
        '2001:db8::1',
        '2001:DB8::1',
        '2001:0db8:0000:0000:0000:0000:0000:0001',
        '2001:db8:0:0:0:0:0:1',
        '2001:db8:0::0:1',
      ]) {
        assert.deepEqual(parseIp(s), { family: 6, value: expected }, s);
      }
      assert.deepEqual(parseIp('::'), { family: 6, value: 0n });
      assert.deepEqual(parseIp('::1'), { family: 6, value: 1n });
      assert.deepEqual(parseIp('1::'), { family: 6, value: 1n << 112n });
    });

    it('parses embedded IPv4 tails', () => {
      assert.deepEqual(parseIp('::ffff:1.2.3.4'), { family: 6, value: 0xffff01020304n });
      assert.deepEqual(parseIp('::FFFF:192.0.2.1'), { family: 6, value: 0xffffc0000201n });
      assert.deepEqual(parseIp('64:ff9b::192.0.2.33'), { family: 6, value: (0x64ff9bn << 96n) | 0xc0000221n });
      assert.deepEqual(parseIp('1:2:3:4:5:6:1.2.3.4'), {
        family: 6,
        value: 0x0001000200030004000500060102_0304n,
      });
    });

    it('rejects malformed addresses with an error naming the input', () => {
      const bad = [
        '',
        'garbage',
        '1.2.3',
        '1.2.3.4.5',
        '256.0.0.1',
        '01.2.3.4',
        '1.2.3.-1',
        ' 1.2.3.4',
        '1::2::3',
        ':::',
        '1:2:3:4:5:6:7',
        '1:2:3:4:5:6:7:8:9',
        '1:2:3:4:5:6:7:8::',
        '1::2:3:4:5:6:7:8',
        '12345::',
        'g::1',
        'fe80::1%eth0',
        '::1.2.3',
        ':1.2.3.4',
        '1:2:3:4:5:6:7:1.2.3.4',
      ];
      for (const s of bad) {
        assert.throws(
          () => parseIp(s),
          (err: unknown) => err instanceof CidrParseError && err.message.includes(JSON.stringify(s)),
          s,
        );
      }
    });
  });

  describe('formatIp / canonicalIp (RFC 5952)', () => {
    it('compresses the longest zero run, the first one on ties, never a single group', () => {
      assert.equal(canonicalIp('2001:0DB8:0000:0000:0000:FF00:0042:8329'), '2001:db8::ff00:42:8329');
      assert.equal(canonicalIp('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
      assert.equal(canonicalIp('1:0:0:2:3:0:0:4'), '1::2:3:0:0:4');
      assert.equal(canonicalIp('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
      assert.equal(canonicalIp('0:0:0:0:0:0:0:0'), '::');
      assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1');
      assert.equal(canonicalIp('1:0:0:0:0:0:0:0'), '1::');
    });

    it('keeps the dotted tail for IPv4-mapped addresses', () => {
      assert.equal(canonicalIp('0:0:0:0:0:ffff:c000:0201'), '::ffff:192.0.2.1');
      assert.equal(formatIp(6, 0xffff01020304n), '::ffff:1.2.3.4');
    });

    it('round-trips IPv4', () => {
      assert.equal(formatIp(4, parseIp('10.0.255.1').value), '10.0.255.1');
    });
  });

  describe('parseCidr', () => {
    it('returns network, length and canonical text', () => {
      assert.deepEqual(parseCidr('185.54.81.0/24'), {
        family: 4,
        network: 0xb9365100n,
        length: 24,
        canonical: '185.54.81.0/24',
      });
      const v6 = parseCidr('2A02:4460:0001:0000::/48');
      assert.equal(v6.family, 6);
      assert.equal(v6.length, 48);
      assert.equal(v6.canonical, '2a02:4460:1::/48');
      assert.equal(parseCidr('0.0.0.0/0').canonical, '0.0.0.0/0');
      assert.equal(parseCidr('::/0').canonical, '::/0');
      assert.equal(parseCidr('192.0.2.7/32').canonical, '192.0.2.7/32');
      assert.equal(parseCidr('2001:db8::1/128').canonical, '2001:db8::1/128');
    });

    it('refuses host bits and suggests the network', () => {
      assert.throws(() => parseCidr('185.54.81.5/24'), {
        name: 'CidrParseError',
        message: '185.54.81.5/24 has host bits set; did you mean 185.54.81.0/24?',
      });
      assert.throws(() => parseCidr('2001:db8::1/64'), /did you mean 2001:db8::\/64\?/);
    });

    it('refuses bad lengths and garbage', () => {
      for (const s of [
        '185.54.81.0/33',
        '185.54.81.0/-1',
        '185.54.81.0/',
        '185.54.81.0/024',
        '185.54.81.0/24/1',
        '2001:db8::/129',
        '185.54.81.0',
        '/24',
        'foo/24',
        '185.54.81.0/2x',
      ]) {
        assert.throws(() => parseCidr(s), CidrParseError, s);
        assert.equal(isValidCidr(s), false, s);
      }
    });

    it('canonicalCidr lower-cases and compresses', () => {
      assert.equal(canonicalCidr('2001:0DB8:0000::/32'), '2001:db8::/32');
      assert.equal(isValidCidr('2001:db8::/32'), true);
    });
  });

  describe('containment', () => {
    it('cidrContainsIp checks family and network bits', () => {
      assert.equal(cidrContainsIp('185.54.81.0/24', '185.54.81.255'), true);
      assert.equal(cidrContainsIp('185.54.81.0/24', '185.54.82.0'), false);
      assert.equal(cidrContainsIp('185.54.81.128/25', '185.54.81.127'), false);
      assert.equal(cidrContainsIp('2a02:4460:1::/48', '2A02:4460:1:ffff::7'), true);
      assert.equal(cidrContainsIp('2a02:4460:1::/48', '2a02:4460:2::1'), false);
      assert.equal(cidrContainsIp('0.0.0.0/0', '::1'), false);
      assert.equal(cidrContainsIp('::/0', '::ffff:1.2.3.4'), true);
    });

    it('cidrContainsCidr is reflexive and needs a shorter or equal outer length', () => {
      assert.equal(cidrContainsCidr('185.54.80.0/22', '185.54.81.0/24'), true);
      assert.equal(cidrContainsCidr('185.54.81.0/24', '185.54.81.0/24'), true);
      assert.equal(cidrContainsCidr('185.54.81.0/24', '185.54.80.0/22'), false);
      assert.equal(cidrContainsCidr('185.54.81.0/24', '185.54.81.128/25'), true);
      assert.equal(cidrContainsCidr('2a02:4460:1::/48', '2a02:4460:1:5::/64'), true);
      assert.equal(cidrContainsCidr('2a02:4460:1::/48', '2a02:4460:2::/64'), false);
      assert.equal(cidrContainsCidr('0.0.0.0/0', '::/0'), false);
    });

    it('cidrsOverlap is symmetric', () => {
      assert.equal(cidrsOverlap('10.0.0.0/8', '10.1.0.0/16'), true);
      assert.equal(cidrsOverlap('10.1.0.0/16', '10.0.0.0/8'), true);
      assert.equal(cidrsOverlap('10.0.0.0/9', '10.128.0.0/9'), false);
      assert.equal(cidrsOverlap('2001:db8::/33', '2001:db8:8000::/33'), false);
    });

    it('cidrOfAddress masks an address to a prefix', () => {
      assert.equal(cidrOfAddress('192.0.2.77', 24).canonical, '192.0.2.0/24');
      assert.equal(cidrOfAddress('2001:db8:1:2:3:4:5:6', 64).canonical, '2001:db8:1:2::/64');
      assert.throws(() => cidrOfAddress('192.0.2.77', 33), CidrParseError);
      assert.equal(cidrSize(parseCidr('192.0.2.0/24')), 256n);
      assert.equal(cidrSize(parseCidr('2001:db8::/64')), 1n << 64n);
    });
  });
});
