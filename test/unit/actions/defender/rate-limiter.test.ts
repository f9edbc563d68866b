import { expect } from 'chai';
import { chunk, createRateLimiter } from '../../../../src/actions/defender/rate-limiter.js';
import { ManualClock } from '../../../fakes/memory-ports.js';

describe('rate limiter', () => {
  it('grants `limit` calls at once, then waits until the oldest leaves the window', async () => {
    const clock = new ManualClock(1_000_000);
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, clock });
    expect(await limiter.acquire()).to.equal(0);
    clock.ms += 10_000;
    expect(await limiter.acquire()).to.equal(0);
    expect(await limiter.acquire()).to.equal(0);
    expect(await limiter.acquire()).to.equal(50_000);
    expect(clock.ms).to.equal(1_060_000);
  });

  it('keeps 31 calls in a row under 30 per minute', async () => {
    const clock = new ManualClock(0);
    const limiter = createRateLimiter({ limit: 30, windowMs: 60_000, clock });
    const times: number[] = [];
    for (let i = 0; i < 31; i++) {
      await limiter.acquire();
      times.push(clock.ms);
    }
    expect(times.slice(0, 30).every((t) => t === 0)).to.equal(true);
    expect(times[30]).to.equal(60_000);
  });

  it('chunks lists into batches of at most the given size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).to.deep.equal([[1, 2], [3, 4], [5]]);
    expect(
      chunk(
        Array.from({ length: 1200 }, (_, i) => i),
        500,
      ).map((c) => c.length),
    ).to.deep.equal([500, 500, 200]);
    expect(chunk([], 500)).to.deep.equal([]);
    expect(() => chunk([1], 0)).to.throw(RangeError);
  });
});
