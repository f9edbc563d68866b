/**
 * Graph security incidents with their alerts: one time-filtered query with `$expand=alerts` and `$top` ≤ 50, then
 * `@odata.nextLink` to the end. Each incident is split into the incident without its `alerts` member and the alerts
 * it holds, each kept as served (defender/incident-split.ts).
 */
import { ApiError } from '../../errors.js';
import type { IncidentsSource, PageInfo, RawAlert, RawIncident, TimeWindow } from '../../ports.js';
import { keyFieldsOf } from '../alert-version.js';
import { buildGraphIncidentsUrl, INCIDENTS_MAX_TOP } from '../alerts-query.js';
import { splitIncident } from '../incident-split.js';
import { checkNextLink, positiveInteger, readPage, throwIfStopped, type SourceOptions } from './page-reader.js';

/** Read straight from the bytes of each incident: its version key. */
const KEY_FIELDS = keyFieldsOf('incidents');

/** Without it, evolvable enum members (incident status `awaitingAction`) read `unknownFutureValue`. */
const GRAPH_HEADERS = { Prefer: 'include-unknown-enum-members' };

/** Reads Graph incidents for a window, following `@odata.nextLink` (absolute, opaque) until it is absent. */
export class GraphIncidentsSource implements IncidentsSource {
  private readonly options: SourceOptions;
  private readonly top: number;

  constructor(options: SourceOptions) {
    this.options = options;
    this.top = Math.min(positiveInteger('pageSize', options.pageSize, INCIDENTS_MAX_TOP), INCIDENTS_MAX_TOP);
  }

  async *incidents(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (info: PageInfo) => void },
  ): AsyncGenerator<RawIncident> {
    const { http, log, alertsUrl: incidentsUrl, filter } = this.options;
    const { signal, onPage } = options;
    let url = buildGraphIncidentsUrl(incidentsUrl, window, { filter, top: this.top });
    const seen = new Set<string>([new URL(url).href]);
    for (let page = 1; ; page++) {
      const items = readPage(
        http,
        log,
        { url, headers: GRAPH_HEADERS, shape: 'odata', keyFields: KEY_FIELDS, page },
        signal,
      );
      let next: IteratorResult<RawAlert, { items: number; nextLink?: string }>;
      try {
        while (!(next = await items.next()).done) yield toIncident(next.value, url);
      } finally {
        // Left early (stop, a malformed incident): close the page so its socket is not left half-read.
        await items.return({ items: 0 });
      }
      const result = next.value;
      log.debug('Incidents page read', {
        api: 'incidents',
        page,
        items: result.items,
        more: result.nextLink !== undefined,
      });
      onPage?.({ page, items: result.items });
      if (result.nextLink === undefined) return;
      throwIfStopped(signal);
      url = checkNextLink(result.nextLink, incidentsUrl, seen);
    }
  }
}

/** One served incident → the incident without `alerts`, and its alerts, each keyed as a graph alert. */
export function toIncident(item: RawAlert, url: string): RawIncident {
  let parts;
  try {
    parts = splitIncident(item.json);
  } catch (error) {
    throw malformed(`${(error as Error).message}`, url);
  }
  const { id: idField, time: timeField } = keyFieldsOf('graph');
  const alerts = parts.alerts.map((json, i): RawAlert => {
    let value: unknown;
    try {
      value = JSON.parse(json.toString('utf8'));
    } catch {
      throw malformed(`alert ${i + 1} of incident ${JSON.stringify(item.id)} is not valid JSON`, url);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw malformed(`alert ${i + 1} of incident ${JSON.stringify(item.id)} is not a JSON object`, url);
    }
    const alert = value as Record<string, unknown>;
    return { json, id: alert[idField], time: alert[timeField] };
  });
  return { json: parts.incident, id: item.id, time: item.time, alerts };
}

function malformed(reason: string, url: string): ApiError {
  return new ApiError(
    'api_invalid_body',
    `The incidents API answered with an incident that is not the expected JSON (${reason}). Check api_url, and any ` +
      'proxy between Splunk and the API.',
    { url: url.split('?')[0], status: 200 },
  );
}
