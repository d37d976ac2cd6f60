// The mapping file's overlap check names every nested pair (IPv4 and IPv6) and nothing else, for large files too.
import assert from 'node:assert/strict';
import { ConfigError, parsePrefixMapping } from '../../src/config';

const entry = (i: number) => ({ parent_prefix_id: 'p', bgp_prefix_id: `b${i}` });

function overlaps(cidrs: string[]): string[] {
  try {
    parsePrefixMapping(Object.fromEntries(cidrs.map((c, i) => [c, entry(i)])), 'm.json');
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.filter((p) => p.includes('overlaps')).sort();
  }
}

describe('prefix mapping overlaps', () => {
  it('names every nested pair, enclosing prefix first, whatever the file order', () => {
    assert.deepEqual(
      overlaps([
        '185.54.81.0/24',
        '2a02:4460:1::/64',
        '185.54.83.0/24',
        '185.54.84.0/24',
        '185.54.80.0/22',
        '2a02:4460:1::/48',
        '2a02:4460:2::/48',
        '185.54.80.0/23',
      ]),
      [
        'PREFIX_MAPPING_FILE m.json: "185.54.80.0/22" overlaps "185.54.80.0/23"',
        'PREFIX_MAPPING_FILE m.json: "185.54.80.0/22" overlaps "185.54.81.0/24"',
        'PREFIX_MAPPING_FILE m.json: "185.54.80.0/22" overlaps "185.54.83.0/24"',
        'PREFIX_MAPPING_FILE m.json: "185.54.80.0/23" overlaps "185.54.81.0/24"',
        'PREFIX_MAPPING_FILE m.json: "2a02:4460:1::/48" overlaps "2a02:4460:1::/64"',
      ],
    );
  });

  it('accepts adjacent and interleaved families without false overlaps', () => {
    assert.deepEqual(overlaps(['10.0.0.0/24', '10.0.1.0/24', '::a00:0/120', '10.0.2.0/23', '0.0.0.0/32']), []);
  });

  it('checks 10,000 disjoint prefixes and finds the one nested pair among them', () => {
    const cidrs = Array.from({ length: 10_000 }, (_, i) => `10.${Math.floor(i / 250)}.${i % 250}.0/24`);
    cidrs.push('10.39.7.128/25');
    assert.deepEqual(overlaps(cidrs), ['PREFIX_MAPPING_FILE m.json: "10.39.7.0/24" overlaps "10.39.7.128/25"']);
  });
});
