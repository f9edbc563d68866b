/** Graph security alerts_v2: one time-filtered query, ascending by last update, then `@odata.nextLink` to the end. */
import type { AlertsSource, PageInfo, RawAlert, TimeWindow } from '../../ports.js';
import { buildGraphAlertsUrl, GRAPH_MAX_TOP } from '../alerts-query.js';
import { checkNextLink, positiveInteger, readPage, throwIfStopped, type SourceOptions } from './page-reader.js';
import { keyFieldsOf } from '../alert-version.js';

/** Read straight from the bytes of each alert: what collect.ts keys versions by. */
const KEY_FIELDS = keyFieldsOf('graph');

/** Without it, evolvable enum members (e.g. serviceSource `microsoftDefenderForCloud`) read `unknownFutureValue`. */
const GRAPH_HEADERS = { Prefer: 'include-unknown-enum-members' };

/** Reads Graph alerts_v2 for a window, following `@odata.nextLink` (absolute, opaque) until it is absent. */
export class GraphSource implements AlertsSource {
  private readonly options: SourceOptions;
  private readonly top: number;

  constructor(options: SourceOptions) {
    this.options = options;
    this.top = Math.min(positiveInteger('pageSize', options.pageSize, GRAPH_MAX_TOP), GRAPH_MAX_TOP);
  }

  async *alerts(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (info: PageInfo) => void },
  ): AsyncGenerator<RawAlert> {
    const { http, log, alertsUrl, filter } = this.options;
    const { signal, onPage } = options;
    let url = buildGraphAlertsUrl(alertsUrl, window, { filter, top: this.top });
    const seen = new Set<string>([new URL(url).href]);
    for (let page = 1; ; page++) {
      const result = yield* readPage(
        http,
        log,
        { url, headers: GRAPH_HEADERS, shape: 'odata', keyFields: KEY_FIELDS, page },
        signal,
      );
      log.debug('Alerts page read', { api: 'graph', page, items: result.items, more: result.nextLink !== undefined });
      onPage?.({ page, items: result.items });
      if (result.nextLink === undefined) return;
      throwIfStopped(signal);
      url = checkNextLink(result.nextLink, alertsUrl, seen);
    }
  }
}
