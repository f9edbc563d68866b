import { expect } from 'chai';
import { WindowPlanner, DEFAULT_PLANNER } from '../../../src/defender/window-planner.js';
import { parseApiTime, TICKS_PER_SECOND, TICKS_PER_MS, type ApiTime } from '../../../src/defender/api-time.js';
import type { TimeWindow } from '../../../src/ports.js';

const t = (s: string): ApiTime => parseApiTime(s)!;
const HOUR = 3600n * TICKS_PER_SECOND;

function drain(planner: WindowPlanner, servedPerWindow: (w: TimeWindow) => number = () => 0): TimeWindow[] {
  const out: TimeWindow[] = [];
  for (let w = planner.nextWindow(); w; w = planner.nextWindow()) {
    out.push(w);
    if (out.length > 10_000) throw new Error('planner does not terminate');
    planner.windowDone(w, servedPerWindow(w));
    if (w.to === undefined) break;
  }
  return out;
}

describe('WindowPlanner', () => {
  const now = t('2024-05-10T12:00:00Z');
  const settle = 300n * TICKS_PER_SECOND;

  it('reads a short range as one open window starting at the range start', () => {
    const from = t('2024-05-10T11:50:00.1234567Z');
    const windows = drain(new WindowPlanner({ ...DEFAULT_PLANNER, from, now, settle }));
    expect(windows).to.have.length(1);
    expect(windows[0]!.to).to.equal(undefined);
    // floored to whole milliseconds: never later than the requested start
    expect(windows[0]!.from).to.equal(t('2024-05-10T11:50:00.123Z'));
  });

  it('splits a backfill into contiguous closed windows, then one open window with the last stretch', () => {
    const from = t('2024-05-01T00:00:00Z');
    const windows = drain(new WindowPlanner({ ...DEFAULT_PLANNER, from, now, settle }), () => 5);
    expect(windows.length).to.be.greaterThan(2);
    expect(windows[0]!.from).to.equal(from);
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.from).to.equal(windows[i - 1]!.to);
    const last = windows.at(-1)!;
    expect(last.to).to.equal(undefined);
    // The open window begins before the settle time, with what was left of the closed range.
    expect(last.from < now - settle).to.equal(true);
    for (const w of windows) {
      expect(w.from % TICKS_PER_MS).to.equal(0n);
      if (w.to !== undefined) expect(w.to > w.from).to.equal(true);
    }
  });

  it('shrinks windows where alerts are dense and grows them where there are none', () => {
    const from = t('2024-05-01T00:00:00Z');
    // 1,000 alerts per hour: the second window holds about 100.
    const perHour = (w: TimeWindow) => (w.to === undefined ? 0 : Number(((w.to - w.from) * 1000n) / HOUR));
    const dense = drain(new WindowPlanner({ ...DEFAULT_PLANNER, from, now, settle, targetItems: 100 }), perHour);
    const sparse = drain(new WindowPlanner({ ...DEFAULT_PLANNER, from, now, settle, targetItems: 100 }), () => 0);
    expect(dense[1]!.to! - dense[1]!.from).to.equal(HOUR / 10n);
    expect(sparse[1]!.to! - sparse[1]!.from).to.equal(HOUR * 4n);
    expect(sparse.length).to.be.lessThan(dense.length);
  });
});

describe('WindowPlanner.take (windows read by a pool)', () => {
  const now = parseApiTime('2024-05-31T00:00:00Z')!;
  const from = parseApiTime('2024-05-01T00:00:00Z')!;
  const settle = 300n * TICKS_PER_SECOND;
  // 1,000 alerts an hour, evenly: what a window of a given span serves.
  const served = (w: TimeWindow) => Number(((w.to! - w.from) * 1000n) / HOUR);
  const options = { ...DEFAULT_PLANNER, from, now, settle, targetItems: 7_760, pageItems: 1_000 };

  /**
   * Takes every window with `parallel` readers, reporting each as done at once; the spans in hours of the closed
   * windows and, last, of the part of the closed range the open window reads.
   */
  function spans(parallel: number, pageItems?: number): number[] {
    const planner = new WindowPlanner({ ...options, ...(pageItems === undefined ? {} : { pageItems }) });
    const out: number[] = [];
    for (let w = planner.take(parallel); w !== undefined; w = planner.take(parallel)) {
      out.push(Number((w.to ?? planner.closedEnd) - w.from) / Number(HOUR));
      if (w.to === undefined) break;
      planner.windowDone(w, served(w));
    }
    return out;
  }

  it('sizes windows from the density the first one measured, not 4× at a time', () => {
    const windows = spans(1);
    // 1 hour served 1,000: the next window is sized for 7,760 at once.
    expect(windows.slice(0, 2)).to.deep.equal([1, 7.76]);
  });

  it('splits the last stretch across the pool, in whole pages, never below two, and covers the range exactly', () => {
    const pooled = spans(4);
    const single = spans(1);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(pooled)).to.be.closeTo(sum(single), 1e-6);
    // One reader: full-size windows to the end (the last one is what is left). Four: the tail shrinks to a page.
    expect(single.slice(1, -1).every((h) => h === 7.76)).to.equal(true);
    const tail = pooled.slice(-6);
    // Two pages at least (windows hold several), aimed at 1,888 of 2,000 (itemsForPages): 1.888 hours here.
    expect(
      tail.every((h) => h < 7.76),
      `tail ${tail.join(', ')}`,
    ).to.equal(true);
    expect(Math.min(...pooled.slice(1, -1))).to.be.at.least(1.888);
    // Before the last stretch, the pool's windows are full size too.
    expect(pooled.slice(1, pooled.length - 12).every((h) => h === 7.76)).to.equal(true);
  });

  it('measures density over the part of a window its alerts cover, when the window began empty', () => {
    const at = (p: WindowPlanner, served: number, earliestFraction?: number) => {
      const w = p.take()!;
      const earliest =
        earliestFraction === undefined
          ? undefined
          : w.from + ((w.to! - w.from) * BigInt(earliestFraction * 100)) / 100n;
      p.windowDone(w, served, earliest);
      return p.take()!;
    };
    const fresh = () => new WindowPlanner({ ...options, targetItems: 8_000 });
    // 4,000 alerts in the last quarter of a one-hour window: 16,000 an hour where there are any, so half an hour.
    const next = at(fresh(), 4_000, 0.75);
    expect(Number(next.to! - next.from) / Number(HOUR)).to.equal(0.5);
    // The same count spread from the window's start: 4,000 an hour, two hours.
    const spread = at(fresh(), 4_000, 0);
    expect(Number(spread.to! - spread.from) / Number(HOUR)).to.equal(2);
    // Too few alerts to say where they begin: the whole window counts.
    const few = at(fresh(), 50, 0.75);
    expect(Number(few.to! - few.from) / Number(HOUR)).to.equal(4);
  });

  it('does not cut the last stretch into slivers where alerts thin out', () => {
    // Incidents (50 a page, windows of 1,500): 50 an hour until the last two days, then one an hour. The tail's
    // page-sized shares are far too small there at first, and must grow back rather than halve what is left again
    // and again (which made windows of no length at all, a request each).
    const thinFrom = now - 48n * HOUR;
    const rate = (a: ApiTime, b: ApiTime) => {
      const dense = (b < thinFrom ? b : thinFrom) - a;
      const thin = b - (a > thinFrom ? a : thinFrom);
      return Number(((dense > 0n ? dense : 0n) * 50n + (thin > 0n ? thin : 0n)) / HOUR);
    };
    const planner = new WindowPlanner({ ...options, targetItems: 1_500, pageItems: 50 });
    const inFlight: TimeWindow[] = [];
    let windows = 0;
    for (;;) {
      while (inFlight.length < 8) {
        const w = planner.take(8);
        if (w === undefined) break;
        inFlight.push(w);
      }
      const w = inFlight.shift();
      if (w === undefined) break;
      windows++;
      planner.windowDone(w, w.to === undefined ? 0 : rate(w.from, w.to));
    }
    // About 34,000 incidents: 23 windows of 1,500, the tail's smaller ones, and a few for the thin stretch.
    expect(windows).to.be.within(23, 70);
  });

  it('sizes windows from the latest stretch measured, not from an earlier window that reports late', () => {
    const planner = new WindowPlanner(options);
    const early = planner.take(4)!;
    const late = planner.take(4)!;
    planner.windowDone(late, 1_000); // one hour, 1,000 alerts: 7.76 hours next
    planner.windowDone(early, 0); // empty, but earlier in time: it must not make the next window 4 hours
    const next = planner.take(4)!;
    expect(Number(next.to! - next.from) / Number(HOUR)).to.equal(7.76);
  });

  it('reads the last stretch of the closed range in the open window: one read instead of two', () => {
    const MINUTE = HOUR / 60n;
    // A first hour, then 7.76 hours (sized from it), then `tailMinutes` of closed range and the 5-minute settle.
    const windowsWith = (tailMinutes: bigint) => {
      const start = now - (HOUR + 776n * (HOUR / 100n) + tailMinutes * MINUTE + settle);
      const planner = new WindowPlanner({ ...options, from: start });
      const out: TimeWindow[] = [];
      for (let w = planner.take(); w !== undefined; w = planner.take()) {
        out.push(w);
        planner.windowDone(w, w.to === undefined ? 0 : served(w));
      }
      expect(planner.closedEnd).to.equal(now - settle);
      return out.map((w) =>
        w.to === undefined ? `open from now - ${(now - w.from) / MINUTE} min` : (w.to - w.from) / MINUTE,
      );
    };
    expect(windowsWith(30n)).to.deep.equal([60n, 465n, 'open from now - 35 min']);
    expect(windowsWith(300n)).to.deep.equal([60n, 465n, 'open from now - 305 min']);
  });

  it('does not fold into an open window when a replay ends at a fixed time', () => {
    const end = now - HOUR;
    const planner = new WindowPlanner({ ...options, from: end - HOUR - 10n * (HOUR / 60n), end });
    const first = planner.take()!;
    planner.windowDone(first, served(first));
    const last = planner.take()!;
    expect(last.to).to.equal(end);
    expect(planner.take()).to.equal(undefined);
  });

  it('does not split without knowing the page size', () => {
    const planner = new WindowPlanner({ ...DEFAULT_PLANNER, from, now, settle, targetItems: 7_760 });
    const out: number[] = [];
    for (let w = planner.take(8); w?.to !== undefined; w = planner.take(8)) {
      out.push(Number(w.to - w.from) / Number(HOUR));
      planner.windowDone(w, served(w));
    }
    expect(out.slice(1, -1).every((h) => h === 7.76)).to.equal(true);
  });
});
