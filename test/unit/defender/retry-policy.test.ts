import { expect } from 'chai';
import {
  computeBackoffMs,
  decideRetry,
  readRetryAfterMs,
  readRetryHintFromMessage,
  type AttemptFailure,
  type RetryInput,
  type RetryLimits,
} from '../../../src/defender/retry-policy.js';

const limits: RetryLimits = {
  maxRetries: 4,
  maxThrottleRetries: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  budgetMs: 300_000,
};
const NOW = Date.parse('2024-05-01T10:00:00Z');

function input(failure: AttemptFailure, over: Partial<RetryInput> = {}): RetryInput {
  return {
    failure,
    idempotent: true,
    throttleRetries: 0,
    otherRetries: 0,
    elapsedMs: 0,
    nowMs: NOW,
    limits,
    random: 0.5,
    ...over,
  };
}
const status = (code: number, headers: Record<string, string> = {}, message?: string): AttemptFailure => ({
  kind: 'status',
  status: code,
  headers,
  message,
});
const reset: AttemptFailure = { kind: 'network', code: 'ECONNRESET', sent: true };
const refused: AttemptFailure = { kind: 'network', code: 'ECONNREFUSED', sent: false };

describe('retry-policy', () => {
  describe('429', () => {
    it('waits exactly the Retry-After seconds', () => {
      expect(decideRetry(input(status(429, { 'retry-after': '7' })))).to.deep.equal({
        retry: true,
        waitMs: 7_000,
        reason: 'throttled',
        serverSaid: true,
      });
    });

    it('waits until a Retry-After HTTP-date', () => {
      const d = decideRetry(input(status(429, { 'retry-after': 'Wed, 01 May 2024 10:00:42 GMT' })));
      expect(d).to.include({ retry: true, waitMs: 42_000 });
    });

    it('treats a Retry-After date in the past as no wait', () => {
      expect(decideRetry(input(status(429, { 'retry-after': 'Wed, 01 May 2024 09:00:00 GMT' })))).to.include({
        waitMs: 0,
      });
    });

    it('reads the wait from an "in N seconds" message when there is no header', () => {
      const d = decideRetry(input(status(429, {}, 'Rate limit is exceeded. Try again in 12 seconds.')));
      expect(d).to.include({ retry: true, waitMs: 12_000, serverSaid: true });
    });

    it('backs off exponentially with jitter when the server gives no wait', () => {
      const first = decideRetry(input(status(429), { random: 0 }));
      const third = decideRetry(input(status(429), { random: 0.999999, throttleRetries: 2 }));
      expect(first).to.include({ retry: true, waitMs: 500, serverSaid: false });
      expect(third).to.include({ retry: true, waitMs: 4_000 });
    });

    it('gives up rather than sleep through a Retry-After above the cap, and reports the wait', () => {
      expect(decideRetry(input(status(429, { 'retry-after': '3600' })))).to.deep.equal({
        retry: false,
        why: 'too_long',
        retryAfterMs: 3_600_000,
      });
    });

    it('retries a 429 even for a non-idempotent request, since the server did not process it', () => {
      expect(decideRetry(input(status(429, { 'retry-after': '1' }), { idempotent: false }))).to.include({
        retry: true,
      });
    });

    it('stops after maxThrottleRetries', () => {
      expect(decideRetry(input(status(429, { 'retry-after': '1' }), { throttleRetries: 5 }))).to.include({
        retry: false,
        why: 'limit',
      });
    });

    it('counts 429 retries apart from failure retries', () => {
      expect(decideRetry(input(status(429, { 'retry-after': '1' }), { otherRetries: 4 }))).to.include({ retry: true });
    });
  });

  describe('server errors and transport failures', () => {
    for (const code of [500, 502, 503, 504, 408]) {
      it(`retries HTTP ${code} with backoff`, () => {
        expect(decideRetry(input(status(code), { random: 0 }))).to.include({ retry: true, waitMs: 500 });
      });
    }

    it('honours Retry-After on a 503', () => {
      expect(decideRetry(input(status(503, { 'retry-after': '3' })))).to.include({
        retry: true,
        waitMs: 3_000,
        serverSaid: true,
      });
    });

    for (const code of [501, 505]) {
      it(`does not retry HTTP ${code}, which will not change`, () => {
        expect(decideRetry(input(status(code)))).to.deep.equal({ retry: false, why: 'not_retryable' });
      });
    }

    it('retries a reset and a timeout of an idempotent request', () => {
      expect(decideRetry(input(reset))).to.include({ retry: true, reason: 'network' });
      expect(decideRetry(input({ kind: 'timeout', code: 'ETIMEDOUT', sent: true }))).to.include({
        retry: true,
        reason: 'timeout',
      });
    });

    it('stops after maxRetries', () => {
      expect(decideRetry(input(status(500), { otherRetries: 4 }))).to.deep.equal({ retry: false, why: 'limit' });
    });

    it('caps each backoff step at maxDelayMs', () => {
      expect(
        decideRetry(
          input(status(500), {
            otherRetries: 3,
            random: 0.999999,
            limits: { ...limits, maxRetries: 10, maxDelayMs: 5_000 },
          }),
        ),
      ).to.include({ waitMs: 5_000 });
    });
  });

  describe('non-idempotent requests', () => {
    it('does not resend after a 5xx, since the server may have applied it', () => {
      expect(decideRetry(input(status(500), { idempotent: false }))).to.deep.equal({
        retry: false,
        why: 'not_idempotent',
      });
    });

    it('does not resend after a reset once the request may have been sent', () => {
      expect(decideRetry(input(reset, { idempotent: false }))).to.deep.equal({ retry: false, why: 'not_idempotent' });
    });

    it('resends after a connection failure that happened before anything was sent', () => {
      expect(decideRetry(input(refused, { idempotent: false }))).to.include({ retry: true, reason: 'network' });
    });
  });

  describe('never retried', () => {
    for (const code of [400, 401, 403, 404, 409, 422]) {
      it(`does not retry HTTP ${code}`, () => {
        expect(decideRetry(input(status(code)))).to.deep.equal({ retry: false, why: 'not_retryable' });
      });
    }
  });

  describe('time budget', () => {
    it('gives up when the wait would run past the budget', () => {
      expect(decideRetry(input(status(429, { 'retry-after': '60' }), { elapsedMs: 250_000 }))).to.deep.equal({
        retry: false,
        why: 'budget',
      });
      expect(decideRetry(input(status(500), { elapsedMs: 299_900, random: 0 }))).to.deep.equal({
        retry: false,
        why: 'budget',
      });
    });

    it('retries when the wait fits in what is left', () => {
      expect(decideRetry(input(status(429, { 'retry-after': '60' }), { elapsedMs: 200_000 }))).to.include({
        retry: true,
      });
    });
  });

  describe('readRetryAfterMs', () => {
    it('ignores absent, negative, fractional and unparsable values', () => {
      for (const v of [undefined, '', '-3', '1.5', 'soon', '  ']) {
        expect(readRetryAfterMs({ 'retry-after': v }, NOW), String(v)).to.equal(undefined);
      }
    });

    it('takes the first value of a repeated header', () => {
      expect(readRetryAfterMs({ 'retry-after': ['2', '9'] }, NOW)).to.equal(2_000);
    });
  });

  it('readRetryHintFromMessage finds "in N second(s)" only', () => {
    expect(readRetryHintFromMessage('API calls quota exceeded! maximum allowed 45 per 00:01:00')).to.equal(undefined);
    expect(readRetryHintFromMessage('retry in 1 second')).to.equal(1_000);
  });

  it('computeBackoffMs doubles from the base and keeps a floor of half the step', () => {
    const l = { baseDelayMs: 100, maxDelayMs: 10_000 };
    expect([0, 1, 2, 3].map((n) => computeBackoffMs(n, l, 0))).to.deep.equal([50, 100, 200, 400]);
    expect(computeBackoffMs(1000, l, 0.999999)).to.equal(10_000);
  });
});
