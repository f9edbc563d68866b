/**
 * Defender for Endpoint /api/alerts. Whether it ever sends `@odata.nextLink` is undocumented (a customer saw none), and
 * so is its order, so both ways are handled: a nextLink is followed when present; otherwise `$skip` pages the window
 * while pages come back full.
 *
 * `$skip` advances by `$top` minus a small margin: alerts updated between two page reads leave the window or enter
 * it, shifting rows, and without the overlap a shifted row would fall between two pages. The overlap re-reads a few
 * alerts that the caller de-duplicates. (An alert updated mid-read moves past `to` or past the open end, where the
 * next window or run picks it up.)
 */
import type { AlertsSource, PageInfo, RawAlert, TimeWindow } from '../../ports.js';
import { buildMdeAlertsUrl, MDE_MAX_TOP } from '../alerts-query.js';
import { checkNextLink, positiveInteger, readPage, throwIfStopped, type SourceOptions } from './page-reader.js';
import { keyFieldsOf } from '../alert-version.js';

/** Read straight from the bytes of each alert: what collect.ts keys versions by. */
const KEY_FIELDS = keyFieldsOf('mde');

/** How many rows of each full page are read again by the next one: 1% of `$top`, at least 1 (0 for `$top` = 1). */
export function skipMarginOf(top: number): number {
  return top <= 1 ? 0 : Math.max(1, Math.floor(top / 100));
}

/** Reads MDE alerts (with evidence) for a window. */
export class MdeSource implements AlertsSource {
  private readonly options: SourceOptions;
  private readonly top: number;

  constructor(options: SourceOptions) {
    this.options = options;
    this.top = Math.min(positiveInteger('pageSize', options.pageSize, MDE_MAX_TOP), MDE_MAX_TOP);
  }

  async *alerts(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (info: PageInfo) => void },
  ): AsyncGenerator<RawAlert> {
    const { http, log, alertsUrl, filter } = this.options;
    const { signal, onPage } = options;
    const top = this.top;
    let skip = 0;
    let url = buildMdeAlertsUrl(alertsUrl, window, { filter, top, skip });
    const seen = new Set<string>([new URL(url).href]);
    let serverPaging = false;
    for (let page = 1; ; page++) {
      const result = yield* readPage(http, log, { url, shape: 'odata', keyFields: KEY_FIELDS, page }, signal);
      log.debug('Alerts page read', {
        api: 'mde',
        page,
        items: result.items,
        skip,
        more: result.nextLink !== undefined,
      });
      onPage?.({ page, items: result.items });
      throwIfStopped(signal);
      if (result.nextLink !== undefined) {
        serverPaging = true;
        url = checkNextLink(result.nextLink, alertsUrl, seen);
        continue;
      }
      // Once the server pages, its last page is the one without a link; mixing in our $skip would restart the window.
      if (serverPaging || result.items < top) return;
      skip += top - skipMarginOf(top);
      url = buildMdeAlertsUrl(alertsUrl, window, { filter, top, skip });
    }
  }
}
