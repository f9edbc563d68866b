/**
 * Splits one run's time range into windows of last-update time.
 *
 * A normal run (a few minutes since the last one) reads one open-ended window `[from, ∞)`. A backfill (days or
 * months) reads closed windows `[from, to)` first, each fully paged, so the cursor can advance and be saved after
 * every window without assuming any server-side order (MDE documents none), and so the set of versions held for
 * de-duplication stays bounded by the window's size, not the backfill's; its last stretch goes into the open window
 * that ends every run. Window length adapts to the alert density observed: aiming at `targetItems` alerts per window.
 */
import { floorToMs, TICKS_PER_SECOND, type ApiTime } from './api-time.js';
import type { TimeWindow } from '../ports.js';

export interface WindowPlannerOptions {
  /** Inclusive start of the run's range. */
  from: ApiTime;
  /** The run's start time on our clock. */
  now: ApiTime;
  /** Closed windows end at least this far before `now`, so late arrivals near "now" fall in the open window. */
  settle: ApiTime;
  /** A range shorter than this is read as one open window. */
  maxOpenSpan: ApiTime;
  /** First closed window's length. */
  initialSpan: ApiTime;
  /** Aim for about this many alerts per closed window. */
  targetItems: number;
  /**
   * Items in one full page of the api. When given, the last windows of a backfill read by a pool are split so that
   * the pool ends together (see `take`), down to two pages' worth each (one where windows hold a page or two).
   */
  pageItems?: number;
  /**
   * A fixed exclusive end (a replay's range): every window is closed, the last one ends exactly here, and no open
   * window follows. `now`, `settle` and `maxOpenSpan` are then not used.
   */
  end?: ApiTime;
}

export const DEFAULT_PLANNER = {
  maxOpenSpan: 6n * 3600n * TICKS_PER_SECOND,
  initialSpan: 3600n * TICKS_PER_SECOND,
  targetItems: 20_000,
};

/**
 * Alerts to aim at for a window of `pages` full pages: under the pages' capacity by 3%, or by 2.5 standard deviations
 * of the count (alerts arrive about as a Poisson process: the deviation is √n) when that is more, so that a window
 * rarely spills a few alerts onto one more page, a request spent from the quota for almost nothing. A one-page window
 * of 1,000 aims at 920, of 10,000 at 9,700; eight of 1,000 at 7,760.
 */
export function itemsForPages(pages: number, pageItems: number): number {
  const capacity = pages * pageItems;
  return Math.max(1, Math.floor(capacity - Math.max(capacity * 0.03, 2.5 * Math.sqrt(capacity))));
}

/**
 * Alerts per closed window for an api whose pages hold `pageSize` items, when windows are read at once. Graph alerts:
 * 16 pages; incidents (50 a page, so a window's count varies by about a page whatever its size): 32, so fewer windows
 * end with a partial page; MDE: one, its pages being 10,000 alerts 3 to 4 seconds apart. The last windows of a
 * backfill are split across the pool (WindowPlanner.take), so long windows do not leave a long tail. The SIEM
 * exporter has no pages: the default.
 */
export function targetItemsFor(api: 'graph' | 'mde' | 'siem' | 'incidents', pageSize: number): number {
  if (api === 'siem') return DEFAULT_PLANNER.targetItems;
  const pages = api === 'mde' ? 1 : api === 'incidents' ? 32 : 16;
  return itemsForPages(pages, pageSize);
}

const MIN_SPAN = TICKS_PER_SECOND;
const MAX_SPAN = 7n * 86400n * TICKS_PER_SECOND;
/**
 * A window that served at least this many items measured the density well enough to size the next one from it at
 * once (up to MAX_GROWTH); fewer (a sparse start, an empty hour) grow the span at most 4× a time, so one quiet hour
 * before a burst does not turn the next window into a week of alerts.
 */
const MEASURED_ITEMS = 100;
const MAX_GROWTH = 8n;

export class WindowPlanner {
  private next: ApiTime;
  private span: ApiTime;
  private readonly closedLimit: ApiTime;
  private finished = false;
  private latestReported = -1n;

  constructor(private readonly options: WindowPlannerOptions) {
    // Whole milliseconds, so APIs that take ms precision (the SIEM exporter) see exactly the same bounds.
    this.next = floorToMs(options.from);
    this.span = options.initialSpan;
    const limit = floorToMs(options.now - options.settle);
    this.closedLimit =
      options.end !== undefined ? options.end : options.now - options.from <= options.maxOpenSpan ? this.next : limit;
  }

  /**
   * Where the closed range ends (the run's start less the settle time, or the replay's end). The open window begins
   * before it (the last stretch of the closed range goes into it: see nextWindow) and reads that stretch too.
   */
  get closedEnd(): ApiTime {
    return this.closedLimit;
  }

  /** The next window to read, or undefined when the range is covered. */
  nextWindow(): TimeWindow | undefined {
    if (this.finished) return undefined;
    if (this.next >= this.closedLimit) {
      this.finished = true;
      return this.options.end !== undefined ? undefined : { from: this.next };
    }
    let to = this.next + this.span;
    if (to >= this.closedLimit) {
      // The fixed end may lie inside a millisecond: the last window ends exactly there.
      if (this.options.end !== undefined) return { from: this.next, to: this.closedLimit };
      // The last stretch of the closed range goes into the open window: asking for everything from here on reads it
      // and what came after in one go, where a last closed window and the open one would be two reads each ending
      // with a partial page (the open one, a few minutes of alerts, is all partial page). Its pages are never more.
      this.finished = true;
      return { from: this.next };
    }
    to = floorToMs(to);
    if (to <= this.next) to = this.next + MIN_SPAN;
    return { from: this.next, to };
  }

  /**
   * Hands out the next window and moves past it at once, so that the one after can be read at the same time (a pool
   * of `parallel` readers); windowDone then only adapts the span. Undefined when the range is covered.
   *
   * Near the end of the closed range, when fewer than `parallel` windows of the adapted span are left, each window
   * takes a `parallel`-th of what is left, in whole pages (never fewer than two where windows hold several): the pool
   * then ends with several small windows read side by side instead of one long window read page after page while the
   * other readers sit idle.
   */
  take(parallel = 1): TimeWindow | undefined {
    const span = this.span;
    const left = this.closedLimit - this.next;
    if (parallel > 1 && this.options.pageItems !== undefined && left > 0n && left < span * BigInt(parallel)) {
      // Shares are whole pages, each aimed a little under its capacity (itemsForPages), so that a smaller window
      // does not end with a nearly empty page either.
      const { pageItems, targetItems } = this.options;
      const perPage = (span * BigInt(pageItems)) / BigInt(targetItems);
      if (perPage > 0n) {
        // Two pages at least where windows hold several: a one-page window of small pages (incidents: 50) must aim
        // well under its page to rarely spill onto another, which wastes more than the shorter tail saves.
        const fewest = targetItems > 2 * pageItems ? 2n : 1n;
        const share = (left / BigInt(parallel) + perPage - 1n) / perPage;
        const pages = share > fewest ? share : fewest;
        let tailSpan = (span * BigInt(itemsForPages(Number(pages), pageItems))) / BigInt(targetItems);
        // Never leave a sliver (a request for a few alerts) behind the window.
        if (left - tailSpan < perPage / 2n) tailSpan = left;
        if (tailSpan < span) this.span = tailSpan;
      }
    }
    const window = this.nextWindow();
    this.span = span;
    if (window?.to !== undefined) this.next = window.to;
    return window;
  }

  /**
   * Reports a closed window as fully read, with the number of alerts it served and the earliest last-update time among
   * them; adapts the next span. Windows taken ahead may report in any order.
   */
  windowDone(window: TimeWindow, served: number, earliest?: ApiTime): void {
    if (window.to === undefined) return;
    if (window.to > this.next) this.next = window.to;
    // The span follows the latest stretch of time measured: a window read at once with later ones that reports after
    // them (an empty one from before the tenant had alerts, say) says less about what comes next than they did.
    if (window.to <= this.latestReported) return;
    this.latestReported = window.to;
    const span = window.to - window.from;
    const ideal =
      served === 0
        ? span * 4n
        : (densitySpan(window, served, earliest) * BigInt(this.options.targetItems)) / BigInt(served);
    // Shrink in proportion to how much the target was exceeded; grow as far as the density measured says (a window
    // with few items: at most 4×), from the span in use when this window was cut shorter (the last stretch, where a
    // small window that found few alerts must not keep the next ones small).
    const growth = served >= MEASURED_ITEMS ? MAX_GROWTH : 4n;
    const base = this.span > span ? this.span : span;
    let nextSpan = ideal > base * growth ? base * growth : ideal;
    if (nextSpan < MIN_SPAN) nextSpan = MIN_SPAN;
    if (nextSpan > MAX_SPAN) nextSpan = MAX_SPAN;
    this.span = nextSpan;
  }
}

/**
 * The part of a window its alerts were spread over, for the density: from the earliest alert to the window's end when
 * the window served enough alerts to say (a leading stretch without any alert is where the tenant had none yet: the
 * first window after an empty start, or a quiet spell, would otherwise make the next windows too long), at least an
 * eighth of the window, so that a burst at a window's end does not shrink the next ones to nothing.
 */
function densitySpan(window: TimeWindow, served: number, earliest: ApiTime | undefined): ApiTime {
  const span = window.to! - window.from;
  if (earliest === undefined || served < MEASURED_ITEMS || earliest <= window.from) return span;
  const occupied = window.to! - earliest;
  const floor = span / MAX_GROWTH;
  return occupied < floor ? floor : occupied < span ? occupied : span;
}
