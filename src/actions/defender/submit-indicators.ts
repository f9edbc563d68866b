/**
 * Sends validated indicators with `POST /api/indicators/import`
 * (https://learn.microsoft.com/defender-endpoint/api/import-ti-indicators): at most 500 per call, at most
 * 30 calls per minute (waited for, never failed), and each row's outcome taken from the per-item results
 * (`isFailed`, `failureReason`). Before sending, the tenant's active indicators are counted, because the 15,000 cap
 * cannot be raised and the service's own refusal is not documented: new indicators that would pass it are refused
 * here, with the count, while indicators that already exist (an import updates them in place) still go through.
 */
import type { HttpClient, Logger } from '../../ports.js';
import { describeFailure, sendJson } from './http-json.js';
import { indicatorKey, type Indicator } from '../rules/indicator-rules.js';
import type { RowOutcome } from '../protocol/outcomes.js';
import { chunk, type RateLimiter } from './rate-limiter.js';

/** One validated indicator and the result row it came from. */
export interface IndicatorItem {
  row: number;
  indicator: Indicator;
}

/**
 * Active indicators a tenant may have; "increases to this limit are not supported"
 * (https://learn.microsoft.com/defender-endpoint/indicators-overview).
 */
export const TENANT_INDICATOR_CAP = 15_000;
/** Items per import call (documented maximum). */
export const IMPORT_BATCH_SIZE = 500;
/** `$top` maximum of GET /api/indicators. */
const LIST_PAGE_SIZE = 10_000;
/** Pages read when counting: far above the cap, so a service ignoring `$skip` cannot loop us forever. */
const MAX_COUNT_PAGES = 5;

/** Options of {@link submitIndicators}. */
export interface SubmitIndicatorsOptions {
  items: readonly IndicatorItem[];
  /** The MDE API base, e.g. https://api.security.microsoft.com. */
  apiBase: string;
  http: HttpClient;
  record: (outcome: RowOutcome) => Promise<void>;
  log: Logger;
  /** Keeps import under its 30 calls/min. */
  importLimiter: RateLimiter;
  /** Validate, count and report, but send nothing. */
  dryRun: boolean;
  signal?: AbortSignal;
  batchSize?: number;
  cap?: number;
}

/** What the tenant has now: how many active indicators, and their (type, value) keys. */
export interface TenantIndicators {
  count: number;
  keys: Set<string>;
}

/** Counts the tenant's active indicators (as far as the app can see them) with `$top`/`$skip` pages. */
export async function countTenantIndicators(
  http: HttpClient,
  apiBase: string,
  signal?: AbortSignal,
): Promise<TenantIndicators> {
  const keys = new Set<string>();
  let count = 0;
  for (let page = 0; page < MAX_COUNT_PAGES; page++) {
    const query = new URLSearchParams({ $top: String(LIST_PAGE_SIZE), $skip: String(page * LIST_PAGE_SIZE) });
    const reply = await sendJson(http, { url: `${apiBase}/api/indicators?${query.toString()}`, signal });
    const value = (reply.body as { value?: unknown } | undefined)?.value;
    const items = Array.isArray(value) ? value : [];
    for (const item of items) {
      count++;
      const { indicatorType, indicatorValue } = (item ?? {}) as { indicatorType?: unknown; indicatorValue?: unknown };
      if (typeof indicatorType === 'string' && typeof indicatorValue === 'string') {
        keys.add(indicatorKey({ indicatorType: indicatorType as Indicator['indicatorType'], indicatorValue }));
      }
    }
    if (items.length < LIST_PAGE_SIZE) break;
  }
  return { count, keys };
}

/**
 * Splits items into those that fit under the cap (updates of existing indicators always fit) and those that would
 * pass it, in row order.
 */
export function applyTenantCap(
  items: readonly IndicatorItem[],
  tenant: TenantIndicators,
  cap: number,
): { fits: IndicatorItem[]; over: IndicatorItem[] } {
  let room = Math.max(0, cap - tenant.count);
  const fits: IndicatorItem[] = [];
  const over: IndicatorItem[] = [];
  for (const item of items) {
    if (tenant.keys.has(indicatorKey(item.indicator))) fits.push(item);
    else if (room > 0) {
      room--;
      fits.push(item);
    } else over.push(item);
  }
  return { fits, over };
}

/** Counts, caps, then imports (or, in dry run, reports) every item; each item's outcome goes to `record`. */
export async function submitIndicators(options: SubmitIndicatorsOptions): Promise<void> {
  const { items, log, http, apiBase } = options;
  if (items.length === 0) return;
  const cap = options.cap ?? TENANT_INDICATOR_CAP;
  const tenant = await countTenantIndicators(http, apiBase, options.signal);
  const { fits, over } = applyTenantCap(items, tenant, cap);
  log.info("Counted the tenant's indicators", {
    action: 'indicator_count',
    active: tenant.count,
    cap,
    to_send: fits.length,
    over_cap: over.length,
  });
  for (const item of over) {
    await options.record({
      ...describe(item),
      outcome: 'failure',
      error: `Not sent: the tenant has ${tenant.count} active indicators and Defender allows ${cap} (the limit cannot be raised); this new indicator would pass it. Delete or let expire unused indicators, then run the action again.`,
    });
  }
  if (options.dryRun) {
    for (const item of fits) await options.record({ ...describe(item), outcome: 'dry_run' });
    return;
  }
  let stopped: { error: unknown } | undefined;
  for (const batch of chunk(fits, options.batchSize ?? IMPORT_BATCH_SIZE)) {
    if (stopped || options.signal?.aborted) {
      const why = stopped
        ? describeFailure(stopped.error)
        : { httpStatus: undefined, message: 'The action was stopped before this indicator was sent.' };
      for (const item of batch) {
        await options.record({
          ...describe(item),
          outcome: 'failure',
          httpStatus: why.httpStatus,
          error: `Not sent: an earlier import call failed for good (${why.message})`,
        });
      }
      continue;
    }
    const waited = await options.importLimiter.acquire(options.signal);
    if (waited > 0) log.info('Waiting for the import quota (30 calls/min)', { action: 'rate_wait', wait_ms: waited });
    try {
      const reply = await sendJson(http, {
        // An import is an upsert on (type, value): sending it again after a lost answer changes nothing.
        url: `${apiBase}/api/indicators/import`,
        method: 'POST',
        json: { Indicators: batch.map((item) => item.indicator) },
        idempotent: true,
        signal: options.signal,
      });
      await recordImportResults(batch, reply.status, reply.body, options.record);
    } catch (error) {
      const failure = describeFailure(error);
      for (const item of batch)
        await options.record({
          ...describe(item),
          outcome: 'failure',
          httpStatus: failure.httpStatus,
          error: failure.message,
        });
      // Credentials or permissions do not get better within a run: say so for the rest instead of calling again.
      if (failure.httpStatus === 401 || failure.httpStatus === 403) stopped = { error };
    }
  }
}

/** Matches the import's per-item results to the batch (by value, else by position) and records each outcome. */
export async function recordImportResults(
  batch: readonly IndicatorItem[],
  httpStatus: number,
  body: unknown,
  record: (outcome: RowOutcome) => Promise<void>,
): Promise<void> {
  const results = Array.isArray((body as { value?: unknown } | undefined)?.value)
    ? (body as { value: unknown[] }).value
    : [];
  const byValue = new Map<string, number[]>();
  batch.forEach((item, index) => {
    const key = item.indicator.indicatorValue.toLowerCase();
    byValue.set(key, [...(byValue.get(key) ?? []), index]);
  });
  const assigned = new Map<number, { id?: unknown; isFailed?: unknown; failureReason?: unknown }>();
  results.forEach((raw, position) => {
    const result = (raw ?? {}) as { indicator?: unknown; id?: unknown; isFailed?: unknown; failureReason?: unknown };
    const queue = typeof result.indicator === 'string' ? byValue.get(result.indicator.toLowerCase()) : undefined;
    const index =
      queue && queue.length > 0
        ? queue.shift()!
        : !assigned.has(position) && position < batch.length
          ? position
          : undefined;
    if (index !== undefined) assigned.set(index, result);
  });
  for (const [index, item] of batch.entries()) {
    const result = assigned.get(index);
    if (!result) {
      await record({
        ...describe(item),
        outcome: 'failure',
        httpStatus,
        error: 'The import response has no result for this indicator; check it in the Defender portal.',
      });
    } else if (result.isFailed === true) {
      const reason =
        typeof result.failureReason === 'string' && result.failureReason !== ''
          ? result.failureReason
          : 'no reason given';
      await record({
        ...describe(item),
        outcome: 'failure',
        httpStatus,
        error: `Defender refused the indicator: ${reason}`,
      });
    } else {
      await record({
        ...describe(item),
        outcome: 'success',
        httpStatus,
        indicatorId: result.id === null || result.id === undefined ? undefined : String(result.id),
      });
    }
  }
}

function describe(item: IndicatorItem): Pick<RowOutcome, 'row' | 'value' | 'indicatorType'> {
  return { row: item.row, value: item.indicator.indicatorValue, indicatorType: item.indicator.indicatorType };
}
