/**
 * The emulator's alert data, per API, built to serve a million ~1.5 KB alerts: each alert is kept as its compact JSON
 * bytes (a Buffer, outside the JS heap) plus the few parsed fields that filters read, in an array sorted by
 * (last-update time, key) so time windows are found by binary search. Also the served-version log that e2e tests use
 * to check "every served version emitted once".
 */
import { formatApiTime, fromEpochMs, parseApiTime, type ApiTime } from '../../src/defender/api-time.js';
import { ALERT_SHAPES, type AlertApi, type AlertShape } from './alert-shapes.js';
import type { FieldValue, TimeBounds } from './odata-filter.js';
import { toWireJson } from './real-shapes.js';

export type { AlertApi } from './alert-shapes.js';

/** One stored alert version. */
export interface StoredAlert {
  /** Version identity with `time`: id (graph, mde) or FullId (siem). */
  readonly key: string;
  readonly id: string;
  readonly time: ApiTime;
  /** The time exactly as the item carries it. */
  readonly timeText: string;
  /** The full item as compact JSON. */
  readonly json: Buffer;
  /** The default rendering when it differs (see AlertShape.variant). */
  readonly variant: Buffer | undefined;
  /** Filterable fields, parsed (times as ApiTime). */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** A stable pseudo-random rank (hash of the key), for the MDE "unordered" mode. */
  readonly rank: number;
  /** Hidden alerts exist but are not served yet (late arrival). */
  hidden: boolean;
  /** The value of the shape's groupField (graph: the incident the alert belongs to). */
  readonly group: string | undefined;
}

/** One (key, time) version and how many times list responses served it. */
export interface ServedVersion {
  id: string;
  time: string;
  count: number;
}

/** FNV-1a, enough to scatter ids into a stable order. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const interned = new Map<string, string>();
function intern(value: string): string {
  if (value.length > 64) return value;
  const hit = interned.get(value);
  if (hit !== undefined) return hit;
  if (interned.size < 100_000) interned.set(value, value);
  return value;
}

const SLAB_SIZE = 16 * 1024 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

/**
 * UTF-8 bytes of `text` carved from 16 MB slabs: one allocation per alert made buffer allocation the load bottleneck.
 */
function encode(text: string): Buffer {
  const length = Buffer.byteLength(text);
  if (slabUsed + length > slab.length) {
    slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, length));
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + length);
  out.write(text, 'utf8');
  slabUsed += length;
  return out;
}

function compareRecords(a: StoredAlert, b: StoredAlert): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** All alerts of one API. */
export class AlertTable {
  private sorted: StoredAlert[] = [];
  private readonly byKey = new Map<string, StoredAlert>();
  private readonly servedCounts = new Map<string, number>();
  /** Bumped on every change, so callers can cache query results. */
  version = 0;

  constructor(
    readonly api: AlertApi,
    private readonly shape: AlertShape = ALERT_SHAPES[api],
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Builds a record from an item; throws naming the missing field. */
  private toRecord(alert: Record<string, unknown>, hidden: boolean): StoredAlert {
    const { keyField, idField, timeField } = this.shape;
    const key = alert[keyField];
    const id = alert[idField];
    const timeText = alert[timeField];
    if (typeof key !== 'string' || key === '') throw new Error(`${this.api} alert has no string '${keyField}'`);
    if (typeof id !== 'string') throw new Error(`${this.api} alert ${key} has no string '${idField}'`);
    if (typeof timeText !== 'string') throw new Error(`${this.api} alert ${key} has no string '${timeField}'`);
    const time = parseApiTime(timeText);
    if (time === undefined) throw new Error(`${this.api} alert ${key}: '${timeField}' is not an ISO time: ${timeText}`);
    const fields: Record<string, FieldValue> = {};
    for (const [name, def] of Object.entries(this.shape.filter.properties)) {
      const field = def.field ?? name;
      const raw = alert[field];
      if (raw === undefined || raw === null) {
        fields[field] = null;
        continue;
      }
      if (def.kind === 'time') fields[field] = typeof raw === 'string' ? (parseApiTime(raw) ?? null) : null;
      else if (typeof raw === 'string') fields[field] = intern(raw);
      else if (typeof raw === 'number' || typeof raw === 'boolean') fields[field] = raw;
      else fields[field] = null;
    }
    const alt = this.shape.variant?.(alert);
    const group = this.shape.groupField === undefined ? undefined : alert[this.shape.groupField];
    return {
      key,
      id,
      time,
      timeText,
      json: encode(toWireJson(alert)),
      variant: alt ? encode(toWireJson(alt)) : undefined,
      fields,
      rank: hashKey(key),
      hidden,
      group: typeof group === 'string' ? group : undefined,
    };
  }

  /** Adds items (a same-key item replaces the stored one). Bulk loads sort once. */
  add(alerts: readonly Record<string, unknown>[], options: { hidden?: boolean } = {}): void {
    // Last one wins within a batch, so a bulk load never indexes one key twice.
    const unique = new Map<string, StoredAlert>();
    for (const a of alerts) {
      const r = this.toRecord(a, options.hidden ?? false);
      unique.set(r.key, r);
    }
    const records = [...unique.values()];
    const last = this.sorted[this.sorted.length - 1];
    if (
      records.every(
        (r, i) =>
          !this.byKey.has(r.key) &&
          (i === 0 ? !last || compareRecords(last, r) <= 0 : compareRecords(records[i - 1]!, r) <= 0),
      )
    ) {
      // Fast path for loads in time order (generator chunks): append, no sort.
      for (const r of records) {
        this.byKey.set(r.key, r);
        this.sorted.push(r);
      }
    } else if (records.length > 64) {
      const replaced = new Set<StoredAlert>();
      for (const r of records) {
        const old = this.byKey.get(r.key);
        if (old) replaced.add(old);
        this.byKey.set(r.key, r);
      }
      if (replaced.size > 0) this.sorted = this.sorted.filter((r) => !replaced.has(r));
      for (const r of records) this.sorted.push(r);
      this.sorted.sort(compareRecords);
    } else {
      for (const r of records) {
        const old = this.byKey.get(r.key);
        if (old) this.removeFromIndex(old);
        this.byKey.set(r.key, r);
        this.sorted.splice(this.lowerBound(r), 0, r);
      }
    }
    this.version++;
  }

  private lowerBound(r: StoredAlert): number {
    let lo = 0,
      hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareRecords(this.sorted[mid]!, r) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private removeFromIndex(r: StoredAlert): void {
    const i = this.lowerBound(r);
    if (this.sorted[i] === r) this.sorted.splice(i, 1);
  }

  /** The first index whose time is ≥ t (or > t when `after`). */
  private timeIndex(t: ApiTime, after: boolean): number {
    let lo = 0,
      hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const mt = this.sorted[mid]!.time;
      if (mt < t || (after && mt === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Visible records within the bounds, ascending by (time, key), that pass `accept`. */
  select(bounds: TimeBounds, accept?: (r: StoredAlert) => boolean): StoredAlert[] {
    const from = bounds.lower ? this.timeIndex(bounds.lower.t, !bounds.lower.inclusive) : 0;
    const to = bounds.upper ? this.timeIndex(bounds.upper.t, bounds.upper.inclusive) : this.sorted.length;
    const out: StoredAlert[] = [];
    for (let i = from; i < to; i++) {
      const r = this.sorted[i]!;
      if (r.hidden) continue;
      if (accept && !accept(r)) continue;
      out.push(r);
    }
    return out;
  }

  /** The stored record for a key, hidden or not. */
  get(key: string): StoredAlert | undefined {
    return this.byKey.get(key);
  }

  /** The stored item for a key, parsed. */
  getItem(key: string): Record<string, unknown> | undefined {
    const r = this.byKey.get(key);
    return r ? (JSON.parse(r.json.toString('utf8')) as Record<string, unknown>) : undefined;
  }

  /** Replaces an item with a new version (the caller set its new time). */
  replace(alert: Record<string, unknown>): StoredAlert {
    const old = this.byKey.get(String(alert[this.shape.keyField]));
    this.add([alert], { hidden: old?.hidden ?? false });
    return this.byKey.get(String(alert[this.shape.keyField]))!;
  }

  setHidden(key: string, hidden: boolean): void {
    const r = this.byKey.get(key);
    if (!r) throw new Error(`${this.api} alert ${key} is not in the store`);
    r.hidden = hidden;
    this.version++;
  }

  /** Visible records by group (graph: alerts by incident id), ascending by time; cached until the table changes. */
  byGroup(): ReadonlyMap<string, readonly StoredAlert[]> {
    if (this.groups?.version === this.version) return this.groups.map;
    const map = new Map<string, StoredAlert[]>();
    for (const r of this.sorted) {
      if (r.hidden || r.group === undefined) continue;
      const list = map.get(r.group);
      if (list) list.push(r);
      else map.set(r.group, [r]);
    }
    this.groups = { version: this.version, map };
    return map;
  }

  private groups: { version: number; map: Map<string, StoredAlert[]> } | undefined;

  /** Every stored item, ascending by time. */
  items(): Record<string, unknown>[] {
    return this.sorted.map((r) => JSON.parse(r.json.toString('utf8')) as Record<string, unknown>);
  }

  clear(): void {
    this.sorted = [];
    this.byKey.clear();
    this.servedCounts.clear();
    this.version++;
  }

  /** Counts records a list response delivered completely. */
  recordServed(records: readonly StoredAlert[]): void {
    for (const r of records) {
      const k = `${r.key}\u0000${r.timeText}`;
      this.servedCounts.set(k, (this.servedCounts.get(k) ?? 0) + 1);
    }
  }

  served(): ServedVersion[] {
    return [...this.servedCounts].map(([k, count]) => {
      const [id = '', time = ''] = k.split('\u0000');
      return { id, time, count };
    });
  }
}

/**
 * `emu.store`: the tables of the three alerts APIs and of incidents, plus the helpers tests use to shape the data.
 * An incident's alerts are the graph alerts whose `incidentId` names it: the same alert is served by alerts_v2 and
 * inside its incident, as Graph does.
 */
export class AlertStore {
  private readonly tables: Record<AlertApi, AlertTable> = {
    graph: new AlertTable('graph'),
    mde: new AlertTable('mde'),
    siem: new AlertTable('siem'),
    incidents: new AlertTable('incidents'),
  };
  /** Alert versions delivered inside incidents (list responses delivered whole). */
  private readonly incidentAlertsServed = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  table(api: AlertApi): AlertTable {
    return this.tables[api];
  }

  /**
   * Adds alerts as served items (a same-id alert is replaced). For incidents, an item may carry an `alerts` array
   * (as served with `$expand=alerts`): the incident is stored without it and its alerts go to the graph table, with
   * `incidentId` set to the incident's id.
   */
  addAlerts(api: AlertApi, alerts: readonly Record<string, unknown>[]): void {
    this.tables[api].add(api === 'incidents' ? this.splitIncidents(alerts) : alerts);
  }

  /**
   * Late arrival: adds alerts whose last-update time may be in the past, hidden until `setVisible(api, id, true)`.
   * This is how an alert that the service indexed late looks to a client that already read that time range. (For
   * incidents, the incident is hidden; its alerts are stored as visible graph alerts.)
   */
  addHidden(api: AlertApi, alerts: readonly Record<string, unknown>[]): void {
    this.tables[api].add(api === 'incidents' ? this.splitIncidents(alerts) : alerts, { hidden: true });
  }

  private splitIncidents(incidents: readonly Record<string, unknown>[]): Record<string, unknown>[] {
    const nested: Record<string, unknown>[] = [];
    const bare = incidents.map((incident) => {
      if (!Array.isArray(incident.alerts)) return incident;
      const { alerts, ...rest } = incident;
      for (const alert of alerts as Record<string, unknown>[]) nested.push({ ...alert, incidentId: incident.id });
      return rest;
    });
    if (nested.length > 0) this.tables.graph.add(nested);
    return bare;
  }

  /** The visible graph alerts of an incident, ascending by last-update time. */
  alertsOfIncident(incidentId: string): readonly StoredAlert[] {
    return this.tables.graph.byGroup().get(incidentId) ?? [];
  }

  /**
   * Merges incident `from` into `into`, as Defender's correlation does: every alert of `from` now names `into` (its
   * lastUpdateDateTime unchanged unless `touchAlerts`), `from` becomes `redirected` with `redirectIncidentId`, and both
   * incidents get a new lastUpdateDateTime.
   */
  mergeIncidents(from: string, into: string, options: { touchAlerts?: boolean } = {}): void {
    for (const r of [...this.alertsOfIncident(from)]) {
      const alert = this.tables.graph.getItem(r.key)!;
      if (options.touchAlerts) this.updateAlert('graph', r.key, { incidentId: into });
      else this.tables.graph.replace({ ...alert, incidentId: into });
    }
    this.updateAlert('incidents', from, { status: 'redirected', redirectIncidentId: into });
    this.updateAlert('incidents', into);
  }

  /** Counts the alert versions a list response delivered inside incidents. */
  recordIncidentAlertsServed(alerts: readonly StoredAlert[]): void {
    for (const r of alerts) {
      const k = `${r.key}\u0000${r.timeText}`;
      this.incidentAlertsServed.set(k, (this.incidentAlertsServed.get(k) ?? 0) + 1);
    }
  }

  /** The multiset of alert versions served inside incidents by list responses delivered whole. */
  servedIncidentAlerts(): ServedVersion[] {
    return [...this.incidentAlertsServed].map(([k, count]) => {
      const [id = '', time = ''] = k.split('\u0000');
      return { id, time, count };
    });
  }

  /** Shows or hides a stored alert (siem: by FullId). */
  setVisible(api: AlertApi, id: string, visible: boolean): void {
    this.tables[api].setHidden(id, !visible);
  }

  /**
   * Writes a new version of an alert: merges `patch` and sets the last-update time to `atTime` (ISO text) or to the
   * clock's now (never earlier than the current version + 100 ns, so the version is new). Returns the new item.
   */
  updateAlert(
    api: AlertApi,
    id: string,
    patch: Record<string, unknown> = {},
    atTime?: string,
  ): Record<string, unknown> {
    const table = this.tables[api];
    const current = table.getItem(id);
    if (!current) throw new Error(`${api} alert ${id} is not in the store`);
    const shape = ALERT_SHAPES[api];
    const next: Record<string, unknown> = { ...current, ...patch };
    next[shape.timeField] = atTime ?? this.nextTimeText(table.get(id)!.time);
    table.replace(next);
    return next;
  }

  /** Now as a 7-digit ISO time, strictly after `previous`. */
  nextTimeText(previous?: ApiTime): string {
    let t = fromEpochMs(this.now());
    if (previous !== undefined && t <= previous) t = previous + 1n;
    return formatApiTime(t);
  }

  /** The stored item (parsed), or undefined. */
  get(api: AlertApi, id: string): Record<string, unknown> | undefined {
    return this.tables[api].getItem(id);
  }

  /** Every stored item of an API, ascending by last-update time. */
  all(api: AlertApi): Record<string, unknown>[] {
    return this.tables[api].items();
  }

  /** Empties one API's table (and its served log), or all of them. */
  clear(api?: AlertApi): void {
    for (const name of api ? [api] : (Object.keys(this.tables) as AlertApi[])) this.tables[name].clear();
    if (api === undefined || api === 'incidents') this.incidentAlertsServed.clear();
  }

  /** The multiset of versions served by list responses that were delivered completely. */
  served(api: AlertApi): ServedVersion[] {
    return this.tables[api].served();
  }
}
