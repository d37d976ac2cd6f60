// Duration parsing and formatting used by configuration, status output and timer summaries.
import assert from 'node:assert/strict';
import { compactDuration, formatDuration, parseDuration } from '../../src/domain/durations';

describe('durations', () => {
  const ok: Array<[string, number]> = [
    ['15m', 900_000],
    ['60s', 60_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    [' 2d ', 172_800_000],
    ['1m30s', 90_000],
  ];
  for (const [text, ms] of ok) it(`parses ${JSON.stringify(text)}`, () => assert.equal(parseDuration(text), ms));

  const bad: Array<[string, RegExp]> = [
    ['15', /no unit/],
    ['', /empty/],
    ['15 minutes', /not a duration/],
    ['m15', /not a duration/],
    ['-5m', /not a duration/],
    ['15x', /not a duration/],
  ];
  for (const [text, re] of bad)
    it(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseDuration(text), re));

  it('formats for people', () => {
    assert.equal(formatDuration(201_000), '3m 21s');
    assert.equal(formatDuration(45_000), '45s');
    assert.equal(formatDuration(3_900_000), '1h 05m');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(-61_000), '-1m 01s');
  });
  it('formats compactly for summaries', () => {
    assert.equal(compactDuration(60_000), '1m');
    assert.equal(compactDuration(5_400_000), '1h30m');
    assert.equal(compactDuration(45_000), '45s');
    assert.equal(compactDuration(1500), '1500ms');
  });
});
