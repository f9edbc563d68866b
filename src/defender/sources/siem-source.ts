/**
 * The legacy SIEM alert exporter: one request per window answers with a top-level JSON array of detections, with no
 * paging and possibly tens of megabytes, so the body is split as it streams in.
 */
import type { AlertsSource, PageInfo, RawAlert, TimeWindow } from '../../ports.js';
import { buildSiemAlertsUrl } from '../alerts-query.js';
import { readPage, type SourceOptions } from './page-reader.js';
import { keyFieldsOf } from '../alert-version.js';

/** Read straight from the bytes of each alert: what collect.ts keys versions by. */
const KEY_FIELDS = keyFieldsOf('siem');

/** Reads SIEM detections whose LastProcessedTimeUtc is in the window (bounds widened to whole milliseconds). */
export class SiemSource implements AlertsSource {
  private readonly options: SourceOptions;

  constructor(options: SourceOptions) {
    this.options = options;
  }

  async *alerts(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (info: PageInfo) => void },
  ): AsyncGenerator<RawAlert> {
    const { http, log, alertsUrl } = this.options;
    const url = buildSiemAlertsUrl(alertsUrl, window);
    const result = yield* readPage(http, log, { url, shape: 'array', keyFields: KEY_FIELDS, page: 1 }, options.signal);
    log.debug('Alerts page read', { api: 'siem', page: 1, items: result.items });
    options.onPage?.({ page: 1, items: result.items });
  }
}
