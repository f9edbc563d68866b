/**
 * The use case for one stanza: load the checkpoint, run the replay the stanza asks for (if any), read every window of
 * alerts (api incidents: incidents with their alerts), emit each unseen version once, and save the checkpoint after
 * the events it covers are flushed. No I/O of its own: everything comes through the ports.
 */
import { DEFAULT_APP_SETTINGS } from '../../config/app-settings.js';
import { SOURCETYPES, type DefenderInputConfig } from '../../config/types.js';
import {
  floorToMs,
  formatApiTime,
  fromEpochMs,
  fromSeconds,
  toEpochMs,
  type ApiTime,
} from '../../defender/api-time.js';
import { versionOf } from '../../defender/alert-version.js';
import { fromInputCheckpoint, initialState, toInputCheckpoint } from '../../defender/checkpoint.js';
import { completeWindow, partialWindow, readFrom, VersionSet, type Cursor } from '../../defender/cursor.js';
import { fixedPoolSize, runWindowPool, type PoolSize } from '../../defender/window-pool.js';
import {
  decideReplay,
  inReplayRange,
  MICROSOFT_RETENTION_DAYS,
  type ReplayProgress,
  type ReplayState,
} from '../../defender/replay.js';
import { toEvent } from '../../defender/to-event.js';
import { DEFAULT_PLANNER, WindowPlanner } from '../../defender/window-planner.js';
import { AddonError, StoppedError } from '../../errors.js';
import type {
  AlertsSource,
  CheckpointStore,
  Clock,
  EventSink,
  IncidentsSource,
  Logger,
  RawAlert,
  RawIncident,
  SplunkEvent,
  TimeWindow,
} from '../../ports.js';

export interface CollectLimits {
  /** Stop the run (and go on next run) after this many pages, so a broken server cannot keep us looping forever. */
  maxPagesPerRun: number;
  /** Window planning: see defender/window-planner.ts. */
  maxOpenSpanSeconds: number;
  initialSpanSeconds: number;
  targetItemsPerWindow: number;
  /** Items in a full page: lets the last windows of a backfill be split across the pool (window-planner.ts). */
  pageItems?: number;
}

export const DEFAULT_LIMITS: CollectLimits = {
  maxPagesPerRun: DEFAULT_APP_SETTINGS.maxPagesPerRun,
  maxOpenSpanSeconds: Number(DEFAULT_PLANNER.maxOpenSpan / 10_000_000n),
  initialSpanSeconds: Number(DEFAULT_PLANNER.initialSpan / 10_000_000n),
  targetItemsPerWindow: DEFAULT_PLANNER.targetItems,
};

export interface CollectDeps {
  config: DefenderInputConfig;
  /** An IncidentsSource for api incidents, an AlertsSource for the others. */
  source: AlertsSource | IncidentsSource;
  store: CheckpointStore;
  sink: EventSink;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  limits?: Partial<CollectLimits>;
  /**
   * How many windows of a backfill are read at once (defender/window-pool.ts); default one at a time. A replay is
   * always read one window at a time.
   */
  pool?: PoolSize;
}

/** What the run did about replay_from. */
export interface ReplayReport {
  /** The replay_from value being applied. */
  value: string;
  /** True once the whole range was written again; false when the next run carries on. */
  done: boolean;
  /** Events this run wrote for the replay (alerts inside replayed incidents included). */
  events: number;
}

export interface CollectResult {
  /** ok: read to the end; page_cap: stopped at the page cap (continues next run); stopped: SIGTERM. */
  status: 'ok' | 'page_cap' | 'stopped';
  /** Every event written, replay and alerts inside incidents included. */
  events: number;
  /** api incidents: the events that are alerts found inside incidents (included in `events`). */
  alertEvents: number;
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
  /** Present when the run worked on a replay. */
  replay?: ReplayReport;
}

class PageCapReached extends AddonError {
  constructor(cap: number) {
    super('page_cap', `Stopped after ${cap} pages in one run; the next run continues from the saved checkpoint.`);
  }
}

type Item = RawAlert | RawIncident;

export async function collectAlerts(deps: CollectDeps): Promise<CollectResult> {
  const { config, source, store, sink, log, clock, signal } = deps;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const key = config.stanza;
  const now = fromEpochMs(clock.nowMs());
  const overlap = fromSeconds(config.overlapSeconds);
  // Alerts inside incidents are graph alerts, written exactly as api=graph writes them.
  const alertConfig = { ...config, sourcetype: SOURCETYPES.graph };

  const stored = await store.load(key);
  const state =
    stored === undefined ? initialState(startOf(config, now)) : fromInputCheckpoint(stored, `of input ${key}`);
  let cursor: Cursor = state.cursor;
  let replay: ReplayState = state.replay;
  const alertMemory = state.alerts;

  const stats = { events: 0, alertEvents: 0, pages: 0, duplicates: 0, invalid: 0, windows: 0, replayEvents: 0 };
  let replayReport: ReplayReport | undefined;
  // Everything before the saved watermark was read by earlier runs; each completed window moves this forward.
  let readThrough = cursor.firstRun ? readFrom(cursor, overlap) : cursor.watermark;
  // Every version written by this run (and remembered from earlier ones) that a window still being read or the next
  // run may meet again: windows read at once share it, so a version served twice is written once.
  const written = new VersionSet(cursor.seen);
  // What the checkpoint said was written, at or after the watermark: kept in every save until read again, so that a
  // version an earlier run wrote beyond the watermark is not written again after this run is killed.
  const priorAhead = new VersionSet(cursor.seen);
  // While a replay window is being read: the versions it wrote (its own set), and the alert versions of the replay.
  let replayWritten: VersionSet | undefined;
  let replayAlerts: VersionSet | undefined;

  /**
   * Saves the checkpoint. The document is built before the flush: every version it holds (cursor and alert memory)
   * was noted in the same synchronous step as its event was handed to the sink, so the flush that follows covers it,
   * even while other windows go on writing.
   */
  const save = async () => {
    alertMemory.prune(cursor.watermark);
    const doc = toInputCheckpoint({ cursor, replay, alerts: alertMemory }, new Date(clock.nowMs()).toISOString());
    await sink.flush();
    await store.save(key, doc);
  };
  const onPage = () => {
    stats.pages++;
    if (stats.pages > limits.maxPagesPerRun) throw new PageCapReached(limits.maxPagesPerRun);
  };
  const pool = deps.pool ?? fixedPoolSize(1);
  const read = (window: TimeWindow, stop: AbortSignal = signal): AsyncIterable<Item> => {
    const options = {
      signal: stop,
      onPage: () => {
        onPage();
        pool.pageRead();
      },
    };
    return 'incidents' in source ? source.incidents(window, options) : source.alerts(window, options);
  };
  const write = async (event: SplunkEvent) => {
    const pending = sink.write(event);
    if (pending) await pending;
    stats.events++;
  };
  const writeUnkeyed = async (item: RawAlert, problem: string) => {
    // Nothing is lost: an alert we cannot key is still emitted (timed by Splunk), and said so.
    stats.invalid++;
    log.warn(`Alert emitted without de-duplication: ${problem}`, { action: 'invalid_alert', input: key });
    await write(toEvent(item, undefined, config));
  };
  /**
   * Writes one keyed item unless this run or the checkpoint has it. The version is noted in the same synchronous step
   * as the event goes to the sink (no await between): windows read at once then never both write it, and a
   * checkpoint built at any instant holds only versions whose events a flush started after it covers.
   */
  const writeOnce = async (
    item: Item,
    version: { id: string; time: ApiTime },
    seen: VersionSet,
    eventConfig = config,
  ) => {
    if (seen.has(version)) {
      stats.duplicates++;
      return false;
    }
    const event = toEvent(item, version.time, eventConfig);
    seen.add(version);
    await write(event);
    return true;
  };

  /**
   * api incidents: the alerts inside one served incident. Each version is written when it is newer than every version
   * of that alert written before (during a replay: when this replay has not written it yet), whether or not the
   * incident itself was new.
   */
  const writeNestedAlerts = async (item: Item, servedIn: ApiTime) => {
    if (!('alerts' in item) || !config.includeAlerts) return;
    for (const alert of item.alerts) {
      const version = versionOf('graph', alert);
      if ('problem' in version) {
        stats.invalid++;
        log.warn(`Alert inside an incident emitted without de-duplication: ${version.problem}`, {
          action: 'invalid_alert',
          input: key,
        });
        await write(toEvent(alert, undefined, alertConfig));
        stats.alertEvents++;
        continue;
      }
      const fresh = replayAlerts !== undefined ? !replayAlerts.has(version) : alertMemory.isNew(version);
      // Noted before the await, as in writeOnce: another window's incident may hold the same alert.
      const event = fresh ? toEvent(alert, version.time, alertConfig) : undefined;
      alertMemory.note(version, servedIn, fresh);
      if (event !== undefined) {
        replayAlerts?.add(version);
        if (replayAlerts !== undefined) stats.replayEvents++;
        stats.alertEvents++;
        await write(event);
      }
    }
  };

  const decision = decideReplay(replay, config.replayFrom, stored === undefined ? undefined : cursor, now);
  if (decision.kind === 'nothing') {
    replay = decision.state;
    log.info(`replay_from ${decision.state.applied} applied with nothing to replay: ${decision.reason}.`, {
      action: 'replay_skipped',
      input: key,
      replay: decision.state.applied,
    });
  } else if (decision.kind === 'start') {
    replay = decision.state;
    const { from, to } = decision.progress;
    log.info('Replay starting: every version in the range is written again, once', {
      action: 'replay_start',
      input: key,
      replay: decision.progress.value,
      from: formatApiTime(from),
      to: formatApiTime(to),
    });
    if (decision.beyondRetention) {
      log.warn(
        `replay_from ${decision.progress.value} reaches back further than the ${MICROSOFT_RETENTION_DAYS} days ` +
          'Microsoft keeps alerts and incidents by default (https://learn.microsoft.com/defender-xdr/data-privacy); ' +
          "versions older than the tenant's retention are gone and cannot be replayed.",
        { action: 'replay_beyond_retention', input: key, replay: decision.progress.value },
      );
    }
    // The range is fixed now: a relative value means "before the run that first saw it", whatever happens next.
    await save();
  }

  log.debug('Run starting', {
    action: 'run_start',
    input: key,
    api: config.api,
    read_from: new Date(toEpochMs(readFrom(cursor, overlap))).toISOString(),
    seen: written.size,
    replay: replay.active?.value,
  });

  try {
    if (replay.active !== undefined) {
      replayReport = { value: replay.active.value, done: false, events: 0 };
      await runReplay(replay.active);
      replayReport.done = true;
      log.info('Replay finished: the range was written again', {
        action: 'replay_end',
        input: key,
        replay: replayReport.value,
        replay_events: stats.replayEvents,
      });
    }

    const planner = new WindowPlanner({
      from: readFrom(cursor, overlap),
      now,
      settle: overlap,
      maxOpenSpan: fromSeconds(limits.maxOpenSpanSeconds),
      initialSpan: fromSeconds(limits.initialSpanSeconds),
      targetItems: limits.targetItemsPerWindow,
      ...(limits.pageItems !== undefined ? { pageItems: limits.pageItems } : {}),
    });
    // Windows are read at once (pool) and written as they come; the watermark moves past a window only once it and
    // every earlier window are read to the end, and the save flushes their events first.
    const maxTimes = new Map<TimeWindow, ApiTime | undefined>();
    await runWindowPool<TimeWindow>({
      next: () => planner.take(pool.size()),
      read: async (window, stop) => {
        let served = 0;
        let maxTimeRead: ApiTime | undefined;
        let minTimeRead: ApiTime | undefined;
        for await (const item of read(window, stop)) {
          served++;
          const version = versionOf(config.api, item);
          if ('problem' in version) {
            await writeUnkeyed(item, version.problem);
            await writeNestedAlerts(item, now);
            continue;
          }
          if (maxTimeRead === undefined || version.time > maxTimeRead) maxTimeRead = version.time;
          if (minTimeRead === undefined || version.time < minTimeRead) minTimeRead = version.time;
          await writeOnce(item, version, written);
          await writeNestedAlerts(item, version.time);
        }
        maxTimes.set(window, maxTimeRead);
        planner.windowDone(window, served, minTimeRead);
        log.debug('Window read', {
          action: 'window_read',
          input: key,
          from: formatApiTime(window.from),
          to: window.to === undefined ? 'open' : formatApiTime(window.to),
          items: served,
          pool: pool.size(),
        });
      },
      commit: async (windows) => {
        if (signal.aborted) throw new StoppedError('stop requested');
        // The batch is contiguous and in order: its last closed window moves the watermark to its end, and the open
        // window (last of all, when it is in the batch) then to the greatest time it read.
        const lastClosed = [...windows].reverse().find((window) => window.to !== undefined);
        const open = windows.find((window) => window.to === undefined);
        if (lastClosed !== undefined) {
          cursor = completeWindow(cursor, committedVersions(lastClosed), overlap, { to: lastClosed.to });
        }
        if (open !== undefined) {
          // The open window asked for everything from its start on, so it read the closed range it may have begun in
          // (a short last stretch the planner folded into it) as a closed window would: the watermark reaches at
          // least that range's end, as it does after a last closed window.
          const maxTimeRead = maxTimes.get(open);
          const closedEnd = planner.closedEnd;
          const reached = maxTimeRead !== undefined && maxTimeRead > closedEnd ? { maxTimeRead } : { to: closedEnd };
          cursor = completeWindow(cursor, written, overlap, reached);
        }
        await save();
        for (const window of windows) maxTimes.delete(window);
        // Versions below the next run's floor are never read again by this run's windows either.
        written.dropBefore(readFrom(cursor, overlap));
        const end = open === undefined ? lastClosed!.to! : now;
        priorAhead.dropBefore(end);
        stats.windows += windows.length;
        readThrough = end;
      },
      size: pool,
      signal,
    });
    if (signal.aborted) throw new StoppedError('stop requested');
  } catch (error) {
    // Save only what is known to be flushed: if flushing fails (splunkd went away), keep the old checkpoint.
    const flushed = await sink.flush().then(
      () => true,
      () => false,
    );
    if (flushed) {
      // Every read has settled: what `written` holds is out on the sink and flushed.
      cursor = partialWindow(cursor, written, overlap);
      const active = replay.active;
      if (active !== undefined && replayWritten !== undefined && replayAlerts !== undefined) {
        const cut = { ...active, seen: replayWritten.prunedTo(active.next), alerts: snapshot(replayAlerts) };
        replay = { ...replay, active: cut };
      }
      await save();
    }
    if (error instanceof PageCapReached) {
      log.warn(error.message, { action: 'page_cap', input: key, pages: stats.pages });
      return result('page_cap');
    }
    if (error instanceof StoppedError || signal.aborted) return result('stopped');
    throw error;
  }
  return result('ok');

  /** Writes every version served in the replay's range once more, window by window, saving after each. */
  async function runReplay(start: ReplayProgress): Promise<void> {
    let progress = start;
    replayAlerts = new VersionSet(progress.alerts);
    const planner = new WindowPlanner({
      from: progress.next,
      now,
      settle: 0n,
      maxOpenSpan: 0n,
      initialSpan: fromSeconds(limits.initialSpanSeconds),
      targetItems: limits.targetItemsPerWindow,
      end: progress.to,
    });
    // Versions the normal read (from watermark − overlap) would meet again: the replay wrote them, so it must not.
    const normalFloor = readFrom(cursor, overlap);
    let window: TimeWindow | undefined;
    while ((window = planner.nextWindow())) {
      let served = 0;
      replayWritten = new VersionSet(progress.seen);
      for await (const item of read(window)) {
        served++;
        const version = versionOf(config.api, item);
        if ('problem' in version) {
          await writeUnkeyed(item, version.problem);
          await writeNestedAlerts(item, now);
          continue;
        }
        // The SIEM exporter's bounds are whole milliseconds: it may serve a little outside the range.
        if (!inReplayRange(progress, version.time)) continue;
        if (version.time >= normalFloor) written.add(version);
        if (await writeOnce(item, version, replayWritten)) stats.replayEvents++;
        await writeNestedAlerts(item, version.time);
      }
      if (signal.aborted) throw new StoppedError('stop requested');
      await sink.flush();
      const next = window.to ?? progress.to;
      // Versions a cut-short window of an earlier run wrote beyond this window's end stay remembered: this run's
      // windows need not end where that run's did.
      progress = { ...progress, next, seen: replayWritten.prunedTo(next), alerts: snapshot(replayAlerts) };
      cursor = partialWindow(cursor, written, overlap);
      replay = { ...replay, active: next >= progress.to ? undefined : progress };
      replayWritten = undefined;
      await save();
      planner.windowDone(window, served);
      if (replayReport) replayReport.events = stats.replayEvents;
    }
    replayAlerts = undefined;
    if (replay.active !== undefined) {
      // An empty range after the last window (nothing left to read): done.
      replay = { ...replay, active: undefined };
      await save();
    }
  }

  /**
   * What a checkpoint whose watermark moves to the end of `last` must hold: the versions this run wrote before that
   * end (the next run re-reads the overlap below it), and those an earlier run wrote after it that this run has not
   * read yet. Versions this run wrote in windows still being read are left out (a checkpoint the size of the windows
   * in flight at every save would cost more than the duplicates it saves after a kill).
   */
  function committedVersions(last: TimeWindow): VersionSet {
    if (last.to === undefined) return written;
    const set = new VersionSet(written.prunedTo(floorToMs(last.to - overlap), last.to));
    for (const [id, times] of priorAhead.prunedTo(last.to)) for (const time of times) set.add({ id, time });
    return set;
  }

  function result(status: CollectResult['status']): CollectResult {
    const lagSeconds = Math.max(0, (clock.nowMs() - toEpochMs(readThrough)) / 1000);
    if (replayReport) replayReport.events = stats.replayEvents;
    const { replayEvents: _replayEvents, ...counts } = stats;
    return {
      status,
      ...counts,
      watermark: cursor.watermark,
      lagSeconds,
      ...(replayReport ? { replay: replayReport } : {}),
    };
  }
}

/** A copy of a version set as the checkpoint keeps it. */
function snapshot(set: VersionSet): Map<string, Set<ApiTime>> {
  return set.prunedTo(-(1n << 62n));
}

function startOf(config: DefenderInputConfig, now: ApiTime): ApiTime {
  const start = config.startTime;
  return start.kind === 'relative' ? now - fromSeconds(start.seconds) : start.time;
}
