/**
 * Sources over a mutable data set, for use-case tests of collectAlerts: alerts (graph-like) and incidents with their
 * alerts. Pages come unordered (a pseudo-random permutation per call, like MDE), and a run can be made to fail after
 * N items.
 */
import type { DefenderInputConfig } from '../../src/config/types.js';
import { formatApiTime, parseApiTime, type ApiTime } from '../../src/defender/api-time.js';
import type { AlertsSource, IncidentsSource, PageInfo, RawAlert, RawIncident, TimeWindow } from '../../src/ports.js';

/** A stanza's config for use-case tests (graph unless overridden). */
export function testConfig(overrides: Partial<DefenderInputConfig> = {}): DefenderInputConfig {
  return {
    stanza: 'defender_alerts://test',
    name: 'test',
    app: 'search',
    tenantId: 't',
    clientId: 'c',
    clientSecret: { kind: 'masked' },
    api: 'graph',
    region: 'global',
    startTime: { kind: 'relative', seconds: 86400 },
    overlapSeconds: 300,
    filter: undefined,
    apiUrl: undefined,
    loginUrl: undefined,
    proxyUrl: undefined,
    replayFrom: undefined,
    includeAlerts: true,
    index: undefined,
    sourcetype: 'ms:defender:graph:alerts',
    host: undefined,
    endpoints: { alertsUrl: '', apiBase: '', authority: '', scope: '', knownAuthorities: [] },
    ...overrides,
  };
}

/** The RawAlert a source hands over for one item's JSON text (its id and time read as `id`, `lastUpdateDateTime`). */
export function rawAlertOf(json: string): RawAlert {
  const value = JSON.parse(json) as Record<string, unknown>;
  return { json: Buffer.from(json, 'utf8'), id: value.id, time: value.lastUpdateDateTime };
}

/** A time as the APIs print it: trailing zeros of the fraction dropped. */
export function apiTimeText(time: ApiTime): string {
  return formatApiTime(time).replace(/0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

/** `id@ticks` of an item with `id` and `lastUpdateDateTime`. */
export function versionKeyOf(item: { id: unknown; lastUpdateDateTime: unknown }): string {
  return `${String(item.id)}@${parseApiTime(String(item.lastUpdateDateTime))}`;
}

/** Shuffles in place with a small LCG (the same seed gives the same order). */
class Shuffler {
  private seed = 1;
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
      const j = this.seed % (i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

function inWindow(time: string, window: TimeWindow): boolean {
  const t = parseApiTime(time)!;
  return t >= window.from && (window.to === undefined || t < window.to);
}

/** A Graph-like alerts source: unordered pages, optional failure after N items. */
export class DataSetSource implements AlertsSource {
  readonly alerts_ = new Map<string, { id: string; lastUpdateDateTime: string; n: number }>();
  readonly served: string[] = [];
  failAfter: number | undefined;
  onFail: (() => void) | undefined;
  private readonly order = new Shuffler();
  constructor(private readonly pageSize = 7) {}

  upsert(id: string, time: ApiTime) {
    const prev = this.alerts_.get(id);
    this.alerts_.set(id, { id, lastUpdateDateTime: apiTimeText(time), n: (prev?.n ?? 0) + 1 });
  }

  async *alerts(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (p: PageInfo) => void },
  ): AsyncGenerator<RawAlert> {
    const items = this.order.shuffle([...this.alerts_.values()].filter((a) => inWindow(a.lastUpdateDateTime, window)));
    for (let p = 0; p * this.pageSize < items.length || p === 0; p++) {
      const page = items.slice(p * this.pageSize, (p + 1) * this.pageSize);
      options.onPage?.({ page: p + 1, items: page.length });
      for (const a of page) {
        if (this.failAfter !== undefined && this.failAfter-- <= 0) {
          this.onFail?.();
          throw new Error('connection reset');
        }
        this.served.push(versionKeyOf(a));
        yield rawAlertOf(JSON.stringify(a));
      }
    }
  }
}

interface FakeIncident {
  id: string;
  lastUpdateDateTime: string;
  status: string;
  redirectIncidentId: string | null;
  n: number;
}

interface FakeAlert {
  id: string;
  incidentId: string;
  lastUpdateDateTime: string;
  status: string;
}

/** Graph-like incidents with their alerts: the alerts of an incident are the current alerts that name it. */
export class IncidentDataSet implements IncidentsSource {
  readonly incidents_ = new Map<string, FakeIncident>();
  readonly alerts_ = new Map<string, FakeAlert>();
  /** `id@ticks` of every incident version served, and of every alert version served inside one. */
  readonly served: string[] = [];
  readonly servedAlerts: string[] = [];
  failAfter: number | undefined;
  onFail: (() => void) | undefined;
  private readonly order = new Shuffler();
  constructor(private readonly pageSize = 5) {}

  /** A new incident version (its alerts unchanged). */
  upsertIncident(id: string, time: ApiTime, patch: Partial<FakeIncident> = {}) {
    const prev = this.incidents_.get(id);
    this.incidents_.set(id, {
      id,
      status: 'active',
      redirectIncidentId: null,
      ...prev,
      ...patch,
      lastUpdateDateTime: apiTimeText(time),
      n: (prev?.n ?? 0) + 1,
    });
  }

  /** A new alert version (its incident's time unchanged). */
  upsertAlert(id: string, incidentId: string, time: ApiTime, status = 'new') {
    this.alerts_.set(id, { id, incidentId, lastUpdateDateTime: apiTimeText(time), status });
  }

  /** Merges `from` into `into` at `time`: alerts move unchanged, both incidents get a new version. */
  merge(from: string, into: string, time: ApiTime) {
    for (const alert of this.alerts_.values()) if (alert.incidentId === from) alert.incidentId = into;
    this.upsertIncident(from, time, { status: 'redirected', redirectIncidentId: into });
    this.upsertIncident(into, time);
  }

  async *incidents(
    window: TimeWindow,
    options: { signal?: AbortSignal; onPage?: (p: PageInfo) => void },
  ): AsyncGenerator<RawIncident> {
    const items = this.order.shuffle(
      [...this.incidents_.values()].filter((i) => inWindow(i.lastUpdateDateTime, window)),
    );
    for (let p = 0; p * this.pageSize < items.length || p === 0; p++) {
      const page = items.slice(p * this.pageSize, (p + 1) * this.pageSize);
      options.onPage?.({ page: p + 1, items: page.length });
      for (const incident of page) {
        if (this.failAfter !== undefined && this.failAfter-- <= 0) {
          this.onFail?.();
          throw new Error('connection reset');
        }
        const alerts = [...this.alerts_.values()].filter((a) => a.incidentId === incident.id);
        this.served.push(versionKeyOf(incident));
        for (const alert of alerts) this.servedAlerts.push(versionKeyOf(alert));
        yield { ...rawAlertOf(JSON.stringify(incident)), alerts: alerts.map((a) => rawAlertOf(JSON.stringify(a))) };
      }
    }
  }
}
