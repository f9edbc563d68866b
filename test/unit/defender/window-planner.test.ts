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

  it('splits a backfill into contiguous closed windows, then one open window after the settle time', () => {
    const from = t('2024-05-01T00:00:00Z');
    const windows = drain(new WindowPlanner({ ...DEFAULT_PLANNER, from, now, settle }), () => 5);
    expect(windows.length).to.be.greaterThan(2);
    expect(windows[0]!.from).to.equal(from);
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.from).to.equal(windows[i - 1]!.to);
    const last = windows.at(-1)!;
    expect(last.to).to.equal(undefined);
    expect(last.from).to.equal(now - settle);
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
