import { expect } from 'chai';
import {
  DOCUMENTED_QUOTAS,
  PacedGate,
  QUOTA_MARGIN_MS,
  quotaFor,
  RequestPacer,
} from '../../../src/defender/request-quota.js';
import { ManualClock } from '../../fakes/memory-ports.js';

/** Sends `n` requests as early as the pacer allows; returns their send times. */
function sendAll(pacer: RequestPacer, n: number, start = 0): number[] {
  const times: number[] = [];
  let now = start;
  for (let i = 0; i < n; i++) {
    now += pacer.delayMs(now);
    pacer.record(now);
    times.push(now);
  }
  return times;
}

/** The most requests any window of `windowMs` holds, as the server counts them (arrival = send here). */
function busiest(times: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('RequestPacer', () => {
  it('never puts more requests in any window than the documented quota, even sent as fast as allowed', () => {
    for (const api of ['graph', 'incidents', 'mde'] as const) {
      const times = sendAll(new RequestPacer(DOCUMENTED_QUOTAS[api]), 2_000);
      for (const w of DOCUMENTED_QUOTAS[api])
        expect(busiest(times, w.windowMs), `${api} ${w.windowMs}`).to.be.at.most(w.limit);
    }
  });

  it('paces evenly (no burst) and keeps close to the quota: graph at about 148 a minute', () => {
    const pacer = new RequestPacer(DOCUMENTED_QUOTAS.graph);
    const times = sendAll(pacer, 600);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).to.be.closeTo((60_000 + QUOTA_MARGIN_MS) / 150, 1e-6);
    const perMinute = (times.length - 1) / ((times.at(-1)! - times[0]!) / 60_000);
    expect(perMinute).to.be.within(145, 150);
    expect(pacer.requestsPerSecond).to.be.closeTo(150 / 61, 1e-9);
  });

  it("holds MDE to 1,500 an hour once the minute's pace would exceed it", () => {
    const times = sendAll(new RequestPacer(DOCUMENTED_QUOTAS.mde), 1_501);
    expect(times[1_500]! - times[0]!).to.be.at.least(3_600_000);
  });

  it('waits out Retry-After after a 429 and slows down for good', () => {
    const pacer = new RequestPacer(DOCUMENTED_QUOTAS.graph);
    pacer.record(0);
    pacer.throttled(100, 30_000);
    expect(pacer.delayMs(100)).to.equal(30_000);
    const before = (60_000 + QUOTA_MARGIN_MS) / 150;
    pacer.record(30_100);
    expect(pacer.delayMs(30_100)).to.be.closeTo(before * 1.25, 1e-9);
  });

  it('lets everything through without a quota (siem), and takes the admin figure instead of the documented one', () => {
    const none = new RequestPacer(quotaFor('siem', undefined));
    expect(none.unlimited).to.equal(true);
    expect(sendAll(none, 100).at(-1)).to.equal(0);
    expect(quotaFor('mde', 30)).to.deep.equal([{ limit: 30, windowMs: 60_000 }]);
    expect(quotaFor('mde', undefined)).to.equal(DOCUMENTED_QUOTAS.mde);
  });
});

describe('PacedGate', () => {
  it('lets concurrent callers through one spacing apart and counts who waits', async () => {
    const clock = new ManualClock(0);
    const sentAt: number[] = [];
    class LoggingPacer extends RequestPacer {
      override record(now: number): void {
        sentAt.push(now);
        super.record(now);
      }
    }
    const gate = new PacedGate(new LoggingPacer([{ limit: 6, windowMs: 5_000 }]), clock);
    await Promise.all(Array.from({ length: 4 }, () => gate.acquire()));
    // ManualClock.sleep moves time itself; whoever wakes first goes, the others wait one spacing more.
    const sorted = [...sentAt].sort((a, b) => a - b);
    const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
    expect(
      gaps.every((g) => g >= 1_000),
      `sent at ${sentAt.join(', ')}`,
    ).to.equal(true);
    expect(gate.waiting).to.equal(0);
    gate.throttled(2_000);
    expect(gate.throttles).to.equal(1);
  });
});
