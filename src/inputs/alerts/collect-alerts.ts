/**
 * The use case for one stanza: load the cursor, read every window of alerts, emit each unseen version once, and save
 * the cursor after the events it covers are flushed. No I/O of its own: everything comes through the ports.
 */
import { DEFAULT_APP_SETTINGS } from '../../config/app-settings.js';
import type { DefenderInputConfig } from '../../config/types.js';
import { fromEpochMs, fromSeconds, toEpochMs, type ApiTime } from '../../defender/api-time.js';
import { versionOf } from '../../defender/alert-version.js';
import {
  completeWindow,
  fromCheckpointDocument,
  initialCursor,
  partialWindow,
  readFrom,
  toCheckpointDocument,
  VersionSet,
  type Cursor,
} from '../../defender/cursor.js';
import { toEvent } from '../../defender/to-event.js';
import { DEFAULT_PLANNER, WindowPlanner } from '../../defender/window-planner.js';
import { AddonError, StoppedError } from '../../errors.js';
import type { AlertsSource, CheckpointStore, Clock, EventSink, Logger, TimeWindow } from '../../ports.js';

export interface CollectLimits {
  /** Stop the run (and go on next run) after this many pages, so a broken server cannot keep us looping forever. */
  maxPagesPerRun: number;
  /** Window planning: see defender/window-planner.ts. */
  maxOpenSpanSeconds: number;
  initialSpanSeconds: number;
  targetItemsPerWindow: number;
}

export const DEFAULT_LIMITS: CollectLimits = {
  maxPagesPerRun: DEFAULT_APP_SETTINGS.maxPagesPerRun,
  maxOpenSpanSeconds: Number(DEFAULT_PLANNER.maxOpenSpan / 10_000_000n),
  initialSpanSeconds: Number(DEFAULT_PLANNER.initialSpan / 10_000_000n),
  targetItemsPerWindow: DEFAULT_PLANNER.targetItems,
};

export interface CollectDeps {
  config: DefenderInputConfig;
  source: AlertsSource;
  store: CheckpointStore;
  sink: EventSink;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  limits?: Partial<CollectLimits>;
}

export interface CollectResult {
  /** ok: read to the end; page_cap: stopped at the page cap (continues next run); stopped: SIGTERM. */
  status: 'ok' | 'page_cap' | 'stopped';
  events: number;
  pages: number;
  /** Versions served again (overlap, page retries) and not emitted. */
  duplicates: number;
  /** Alerts without a usable id or time (emitted anyway, never dropped). */
  invalid: number;
  windows: number;
  watermark: ApiTime;
  /**
   * How far behind now the input has read everything, in seconds: now minus the end of the last time range read to
   * its last page (a closed window's end, or this run's start for the open window). A caught-up input shows about
   * its own run time, however long ago its newest alert was; a run that stopped early shows how far it got.
   */
  lagSeconds: number;
}

class PageCapReached extends AddonError {
  constructor(cap: number) {
    super('page_cap', `Stopped after ${cap} pages in one run; the next run continues from the saved checkpoint.`);
  }
}

export async function collectAlerts(deps: CollectDeps): Promise<CollectResult> {
  const { config, source, store, sink, log, clock, signal } = deps;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const key = config.stanza;
  const now = fromEpochMs(clock.nowMs());
  const overlap = fromSeconds(config.overlapSeconds);

  const stored = await store.load(key);
  let cursor: Cursor =
    stored === undefined ? initialCursor(startOf(config, now)) : fromCheckpointDocument(stored, `of input ${key}`);
  const planner = new WindowPlanner({
    from: readFrom(cursor, overlap),
    now,
    settle: overlap,
    maxOpenSpan: fromSeconds(limits.maxOpenSpanSeconds),
    initialSpan: fromSeconds(limits.initialSpanSeconds),
    targetItems: limits.targetItemsPerWindow,
  });
  log.debug('Run starting', {
    action: 'run_start',
    input: key,
    api: config.api,
    read_from: new Date(toEpochMs(readFrom(cursor, overlap))).toISOString(),
    seen: new VersionSet(cursor.seen).size,
  });

  const stats = { events: 0, pages: 0, duplicates: 0, invalid: 0, windows: 0 };
  // Everything before the saved watermark was read by earlier runs; each completed window moves this forward.
  let readThrough = cursor.firstRun ? readFrom(cursor, overlap) : cursor.watermark;
  let versions = new VersionSet(cursor.seen);
  const save = async (next: Cursor) => {
    await store.save(key, toCheckpointDocument(next, new Date(clock.nowMs()).toISOString()));
    cursor = next;
  };
  const onPage = () => {
    stats.pages++;
    if (stats.pages > limits.maxPagesPerRun) throw new PageCapReached(limits.maxPagesPerRun);
  };

  let window: TimeWindow | undefined;
  try {
    while ((window = planner.nextWindow())) {
      let served = 0;
      let maxTimeRead: ApiTime | undefined;
      for await (const alert of source.alerts(window, { signal, onPage })) {
        served++;
        const version = versionOf(config.api, alert);
        if ('problem' in version) {
          // Nothing is lost: an alert we cannot key is still emitted (timed by Splunk), and said so.
          stats.invalid++;
          log.warn(`Alert emitted without de-duplication: ${version.problem}`, { action: 'invalid_alert', input: key });
          const pending = sink.write(toEvent(alert, undefined, config));
          if (pending) await pending;
          stats.events++;
          continue;
        }
        if (maxTimeRead === undefined || version.time > maxTimeRead) maxTimeRead = version.time;
        if (versions.has(version)) {
          stats.duplicates++;
          continue;
        }
        const pending = sink.write(toEvent(alert, version.time, config));
        if (pending) await pending;
        versions.add(version);
        stats.events++;
      }
      if (signal.aborted) throw new StoppedError('stop requested');
      await sink.flush();
      await save(completeWindow(cursor, versions, overlap, { to: window.to, maxTimeRead }));
      versions = new VersionSet(cursor.seen);
      stats.windows++;
      readThrough = window.to ?? now;
      planner.windowDone(window, served);
    }
  } catch (error) {
    // Save only what is known to be flushed: if flushing fails (splunkd went away), keep the old checkpoint.
    const flushed = await sink.flush().then(
      () => true,
      () => false,
    );
    if (flushed) await save(partialWindow(cursor, versions, overlap));
    if (error instanceof PageCapReached) {
      log.warn(error.message, { action: 'page_cap', input: key, pages: stats.pages });
      return result('page_cap');
    }
    if (error instanceof StoppedError || signal.aborted) return result('stopped');
    throw error;
  }
  return result('ok');

  function result(status: CollectResult['status']): CollectResult {
    const lagSeconds = Math.max(0, (clock.nowMs() - toEpochMs(readThrough)) / 1000);
    return { status, ...stats, watermark: cursor.watermark, lagSeconds };
  }
}

function startOf(config: DefenderInputConfig, now: ApiTime): ApiTime {
  const start = config.startTime;
  return start.kind === 'relative' ? now - fromSeconds(start.seconds) : start.time;
}
