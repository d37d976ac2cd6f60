// Failure classification at the activity boundary: which Cloudflare / Telegram failures are final, which ones wait
// for Retry-After (the REST changes) and which do not (the measurement), and what a success:false envelope means.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { toFailure } from '../../src/activities/failures';
import { ErrorType, NON_RETRYABLE_CLOUDFLARE, NON_RETRYABLE_TELEGRAM } from '../../src/errors';
import { classifyFailure } from '../../src/integrations/cloudflare/classify';
import type { HttpAnswer } from '../../src/integrations/cloudflare/http';
import { type CloudflareError, type CloudflareMessage } from '../../src/integrations/cloudflare/types';
import { TelegramError } from '../../src/integrations/telegram/types';

const redact = (t: string): string => t.split('s3cret-token').join('[redacted]');

function answer(status: number, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers, body: '' };
}

function classify(
  status: number,
  errors: CloudflareMessage[],
  extra: { badBody?: string; headers?: Record<string, string> } = {},
) {
  return classifyFailure({
    answer: answer(status, extra.headers),
    errors,
    operation: 'PATCH /accounts/a/addressing/prefixes/p/bgp/prefixes/b',
    redact,
    ...(extra.badBody ? { badBody: extra.badBody } : {}),
  });
}

function failureOf(err: unknown, opts?: { honourRetryAfter?: boolean }): ApplicationFailure {
  const f = toFailure(err, opts);
  assert.ok(f instanceof ApplicationFailure, 'an ApplicationFailure');
  return f;
}

describe('failure classification: Cloudflare', () => {
  const cases: Array<[string, CloudflareError, string, boolean]> = [
    [
      '401 bad credentials',
      classify(401, [{ code: 10000, message: 'Authentication error' }]),
      ErrorType.CloudflareAuth,
      true,
    ],
    [
      '403 with an auth code',
      classify(403, [{ code: 9109, message: 'Invalid access token' }]),
      ErrorType.CloudflareAuth,
      true,
    ],
    [
      'a locked prefix',
      classify(400, [{ code: 1006, message: 'Advertisement status of this prefix is locked and cannot be changed' }]),
      ErrorType.PrefixLocked,
      true,
    ],
    [
      'a deleted BGP prefix',
      classify(404, [{ code: 1000, message: 'BGP prefix not found' }]),
      ErrorType.PrefixNotFound,
      true,
    ],
    ['a 503', classify(503, [{ code: 1007, message: 'Internal error' }]), ErrorType.CloudflareUnavailable, false],
    ['a 429', classify(429, [{ code: 971, message: 'Please wait' }]), ErrorType.CloudflareRateLimited, false],
  ];
  for (const [what, err, type, final] of cases)
    it(`${what} → ${type}${final ? ', non-retryable' : ', retried'}`, () => {
      const f = failureOf(err);
      assert.equal(f.type, type);
      assert.equal(f.nonRetryable, final);
      assert.equal(NON_RETRYABLE_CLOUDFLARE.includes(type), final, 'the workflows list it the same way');
    });

  it('keeps Cloudflare codes and messages (secrets redacted) in the message and the details', () => {
    const f = failureOf(classify(403, [{ code: 9109, message: 'token s3cret-token is invalid' }]));
    assert.match(f.message, /code 9109: token \[redacted\] is invalid/);
    assert.doesNotMatch(f.message, /s3cret-token/);
    assert.deepEqual((f.details?.[0] as { errors: CloudflareMessage[] }).errors, [
      { code: 9109, message: 'token [redacted] is invalid' },
    ]);
  });

  it('REST 429 Retry-After sets the next attempt of a change', () => {
    const f = failureOf(classify(429, [{ code: 971, message: 'Please wait' }], { headers: { 'retry-after': '17' } }));
    assert.equal(f.nextRetryDelay, 17_000);
  });

  it('the 15-minute rule (429 code 1002) waits for its Retry-After', () => {
    const err = classify(429, [{ code: 1002, message: 'Prefix was withdrawn less than 15 minutes ago' }], {
      headers: { 'retry-after': '120' },
    });
    assert.equal(err.kind, 'too_soon');
    assert.equal(failureOf(err).nextRetryDelay, 120_000);
  });

  it('the measurement never waits out Retry-After (nor the GraphQL budget default of 5 minutes)', () => {
    const budget = classifyFailure({
      answer: answer(429),
      errors: [{ code: 0, message: 'rate limiter budget depleted, try again after 5 minutes' }],
      operation: 'POST /graphql',
      graphql: true,
      redact,
    });
    assert.equal(budget.details.retryAfterMs, 5 * 60_000, 'the client still reports the wait');
    const measured = failureOf(budget, { honourRetryAfter: false });
    assert.equal(measured.nextRetryDelay, undefined);
    assert.equal(measured.type, ErrorType.CloudflareRateLimited);
    assert.equal(measured.nonRetryable, false);
  });

  describe('a 2xx answer with success:false is classified by its codes', () => {
    const envelope = (errors: CloudflareMessage[]) =>
      classify(200, errors, { badBody: 'success:false in a 2xx answer' });
    const cases: Array<[string, CloudflareMessage[], string, boolean]> = [
      ['an auth code', [{ code: 10000, message: 'Authentication error' }], 'auth', true],
      ['the 15-minute rule code', [{ code: 1002, message: 'too early' }], 'too_soon', false],
      ['the rate limit code', [{ code: 971, message: 'Please wait and consider throttling' }], 'rate_limited', false],
      ['a lock', [{ code: 1006, message: 'prefix is locked' }], 'locked', true],
      ['an unknown code', [{ code: 1234, message: 'something odd' }], 'bad_response', false],
      ['no errors at all', [], 'bad_response', false],
    ];
    for (const [what, errors, kind, final] of cases)
      it(`${what} → ${kind}`, () => {
        const err = envelope(errors);
        assert.equal(err.kind, kind);
        assert.equal(failureOf(err).nonRetryable, final);
        assert.deepEqual(err.details.errors, errors, 'codes and messages kept');
        assert.equal(err.details.httpStatus, 200);
      });
  });

  it('a body that is not JSON in a 2xx answer is an unexpected (retryable) response', () => {
    const err = classify(200, [], { badBody: 'body is not JSON' });
    assert.equal(err.kind, 'bad_response');
    assert.equal(failureOf(err).nonRetryable, false);
  });
});

describe('failure classification: Telegram', () => {
  const cases: Array<[string, TelegramError, string, boolean]> = [
    ['a wrong token', new TelegramError('auth', 'Unauthorized', { httpStatus: 401 }), ErrorType.TelegramAuth, true],
    [
      'a blocked bot',
      new TelegramError('forbidden', 'Forbidden', { httpStatus: 403 }),
      ErrorType.TelegramForbidden,
      true,
    ],
    ['a bad message', new TelegramError('bad_request', "can't parse entities"), ErrorType.TelegramBadRequest, true],
    ['a 502', new TelegramError('server', 'Bad Gateway', { httpStatus: 502 }), ErrorType.TelegramUnavailable, false],
  ];
  for (const [what, err, type, final] of cases)
    it(`${what} → ${type}`, () => {
      const f = failureOf(err);
      assert.equal(f.type, type);
      assert.equal(f.nonRetryable, final);
      assert.equal(NON_RETRYABLE_TELEGRAM.includes(type), final);
    });

  it('flood control: retry_after sets the next attempt', () => {
    const f = failureOf(
      new TelegramError('rate_limited', 'Too Many Requests', { httpStatus: 429, retryAfterMs: 17_000 }),
    );
    assert.equal(f.type, ErrorType.TelegramRateLimited);
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 17_000);
  });
});

describe('failure classification: anything else', () => {
  it('passes through unchanged', () => {
    const plain = new Error('boom');
    assert.equal(toFailure(plain), plain);
    const app = ApplicationFailure.nonRetryable('x', 'Custom');
    assert.equal(toFailure(app), app);
  });
});
