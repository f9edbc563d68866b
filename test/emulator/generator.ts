/**
 * Deterministic, realistic alerts for e2e tests, knowledge-object tests and benchmarks: same seed, same alerts. By
 * default every item is real-shaped (test/emulator/real-shapes.ts: ids `da`+GUID+`_1`, `alertWebUrl` with `?tid=`,
 * `alertPolicyId`, `additionalData`, `vmMetadata`, JSON nulls, sometimes no `productName`, `\/` on the wire) and
 * compact; `largeEvery` makes every n-th one a large alert (tens of KB, evidence past byte 5,000), and
 * `shape: 'template'` gives the older fixture-template items (cheaper: the benchmarks use them). Ids are unique per
 * (seed, index); SIEM detections come in groups of 1–3 per AlertId with distinct FullIds; incidents come with 1 to
 * `alertsPerIncident` graph alerts each, in an `alerts` array as Graph serves them with `$expand=alerts`, each alert
 * last updated before its incident. Times are spread over
 * [from, to) with 0–7 fraction digits, or drawn from a few instants (`tieGroups`) so that more than a page of alerts
 * can share one timestamp.
 */
import { readFileSync } from 'node:fs';
import {
  formatApiTime,
  fromEpochMs,
  parseApiTime,
  TICKS_PER_SECOND,
  type ApiTime,
} from '../../src/defender/api-time.js';
import type { AlertApi } from './alert-shapes.js';
import { REAL_SHAPES, realSiemDetection, toWireJson, type RealShapeContext } from './real-shapes.js';
import type { AlertStore } from './store.js';

/** Options of generateAlerts. */
export interface GenerateOptions {
  /** Number of items (siem: detections). */
  count: number;
  /** PRNG seed; default 1. Different seeds give different ids. */
  seed?: number;
  /** Earliest last-update time: ISO text or epoch ms. */
  from: string | number;
  /** Latest last-update time (exclusive): ISO text or epoch ms. */
  to: string | number;
  /** Draw last-update times from only this many distinct instants (ties). */
  tieGroups?: number;
  /** Every n-th item (1-based) carries the hostile strings of the fixtures. */
  hostileEvery?: number;
  /** Pad each item's description so its JSON is about this many bytes; default 1500 (incidents: each alert). */
  approxBytes?: number;
  /** incidents: each has 1 to this many alerts; default 3. */
  alertsPerIncident?: number;
  /** 'real' (default): real-shaped items; 'template': the fixture templates with new ids and times (benchmarks). */
  shape?: 'real' | 'template';
  /** Every n-th item (1-based) is a large real-shaped alert (tens of KB, evidence past byte 5,000). */
  largeEvery?: number;
}

type Item = Record<string, unknown>;

const templates = new Map<AlertApi, Item[]>();

/** The fixture alerts of an API (parsed once; callers get copies). */
export function loadFixtureAlerts(api: AlertApi): Item[] {
  let list = templates.get(api);
  if (!list) {
    list = JSON.parse(readFileSync(new URL(`../fixtures/alerts/${api}.json`, import.meta.url), 'utf8')) as Item[];
    templates.set(api, list);
  }
  return structuredClone(list);
}

/** mulberry32: small, fast and good enough to make test data look varied (and chaos tests repeatable). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function toTicks(value: string | number, name: string): ApiTime {
  const t = typeof value === 'number' ? fromEpochMs(value) : parseApiTime(value);
  if (t === undefined)
    throw new Error(`generateAlerts: '${name}' must be an ISO time or epoch ms, not ${String(value)}`);
  return t;
}

/** Formats with `digits` fraction digits (trailing zeros dropped, as the services print them). */
function formatWithDigits(t: ApiTime, digits: number): string {
  const unit = 10n ** BigInt(7 - digits);
  const rounded = (t / unit) * unit;
  const full = formatApiTime(rounded);
  const frac = full.slice(20, 27).slice(0, digits).replace(/0+$/, '');
  return frac === '' ? `${full.slice(0, 19)}Z` : `${full.slice(0, 19)}.${frac}Z`;
}

/** One instant with its text (the text must be identical for every alert that shares the instant). */
interface Instant {
  t: ApiTime;
  text: string;
}

function makeInstants(count: number, from: ApiTime, to: ApiTime, rand: () => number): Instant[] {
  const span = to - from;
  if (span <= 0n) throw new Error('generateAlerts: `to` must be after `from`');
  const out: Instant[] = [];
  for (let i = 0; i < count; i++) {
    const offset = BigInt(Math.floor(rand() * Number(span)));
    const digits = Math.floor(rand() * 8);
    const text = formatWithDigits(from + offset, digits);
    out.push({ t: parseApiTime(text)!, text });
  }
  out.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  return out;
}

const TITLES = [
  'Suspicious PowerShell command line',
  'Possible credential dumping',
  'Ransomware behavior detected',
  'Suspicious process injection observed',
  'Anomalous sign-in from an unfamiliar location',
  'Malicious URL clicked',
  'Suspicious scheduled task created',
  'Outbound connection to a known C2 server',
];
const CATEGORIES = [
  'Execution',
  'CredentialAccess',
  'Impact',
  'DefenseEvasion',
  'InitialAccess',
  'Persistence',
  'CommandAndControl',
];
const HOSTS = ['fin-ws-042', 'dc01', 'web-01', 'hr-lt-117', 'dev-ws-009', 'sql-02', 'kiosk-3'];
const FILLER =
  'An attacker may use this technique to run code, move laterally or keep access. Review the device timeline, ' +
  'the process tree and the user activity around the alert time, then contain the device if the activity is not expected. ';

function pick<T>(list: readonly T[], rand: () => number): T {
  return list[Math.floor(rand() * list.length)]!;
}

/**
 * Pads `field` so the item is about `approxBytes` long; `size` is an estimate (the template's), to avoid a stringify
 * per item.
 */
function pad(item: Item, field: string, approxBytes: number, size: number): void {
  const missing = approxBytes - size;
  if (missing <= 1) return;
  item[field] =
    `${String(item[field] ?? '')} ${FILLER.repeat(Math.ceil(missing / FILLER.length)).slice(0, missing - 1)}`;
}

function minus(text: string, seconds: number): string {
  return formatWithDigits(parseApiTime(text)! - BigInt(Math.floor(seconds)) * TICKS_PER_SECOND, 7);
}

function graphItem(base: Item, i: number, seed: number, at: Instant, rand: () => number): Item {
  const id = `da63850${String(seed).padStart(4, '0')}${String(i).padStart(8, '0')}_${Math.floor(rand() * 2 ** 31) - 2 ** 30}`;
  const status = pick(['new', 'new', 'inProgress', 'resolved'], rand);
  const created = minus(at.text, rand() * 3600);
  return {
    ...base,
    id,
    providerAlertId: id,
    incidentId: String(30000 + Math.floor(rand() * 50000)),
    status,
    severity: pick(['informational', 'low', 'medium', 'high', 'unknown'], rand),
    title: i % 3 === 0 ? base.title : pick(TITLES, rand),
    category: pick(CATEGORIES, rand),
    alertWebUrl: `https://security.microsoft.com/alerts/${id}`,
    createdDateTime: created,
    lastUpdateDateTime: at.text,
    resolvedDateTime: status === 'resolved' ? at.text : null,
    firstActivityDateTime: minus(created, rand() * 600),
    lastActivityDateTime: minus(created, 1),
  };
}

/** What an incident's alerts are built with. */
interface IncidentAlertOptions {
  alertsPerIncident: number;
  approxBytes: number;
  /** Real-shaped alerts (test/emulator/real-shapes.ts) rather than fixture templates. */
  real: boolean;
}

/** An incident with its alerts (graph alerts named after the incident, each updated before it). */
function incidentItem(
  base: Item,
  alertBases: readonly string[],
  i: number,
  seed: number,
  at: Instant,
  rand: () => number,
  options: IncidentAlertOptions,
): Item {
  const id = `${seed}${String(i).padStart(7, '0')}`;
  const created = minus(at.text, 3600 + rand() * 86_400);
  const status = pick(['active', 'active', 'inProgress', 'resolved'], rand);
  const nAlerts = 1 + Math.floor(rand() * options.alertsPerIncident);
  const alerts: Item[] = [];
  for (let k = 0; k < nAlerts; k++) {
    const template = alertBases[(i + k) % alertBases.length]!;
    const text = minus(at.text, 1 + rand() * 3000);
    const alertAt = { t: parseApiTime(text)!, text };
    const index = i * 16 + k;
    const alert = options.real
      ? REAL_SHAPES.graph(JSON.parse(template) as Item, realContext(index, seed + 50_000, alertAt, rand, false))
      : graphItem(JSON.parse(template) as Item, index, seed + 50_000, alertAt, rand);
    alert.incidentId = id;
    alert.incidentWebUrl = `https://security.microsoft.com/incidents/${id}?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c`;
    pad(alert, 'description', options.approxBytes, options.real ? toWireJson(alert).length : template.length);
    alerts.push(alert);
  }
  return {
    ...base,
    id,
    incidentWebUrl: `https://security.microsoft.com/incidents/${id}?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c`,
    displayName: i % 3 === 0 ? base.displayName : `${pick(TITLES, rand)} on ${pick(HOSTS, rand)}`,
    createdDateTime: created,
    lastUpdateDateTime: at.text,
    status,
    severity: pick(['informational', 'low', 'medium', 'high'], rand),
    classification: status === 'resolved' ? pick(['truePositive', 'falsePositive'], rand) : 'unknown',
    determination: status === 'resolved' ? 'other' : 'unknown',
    assignedTo: rand() < 0.5 ? null : `analyst${Math.floor(rand() * 5)}@contoso.com`,
    alerts,
  };
}

function mdeItem(base: Item, i: number, seed: number, at: Instant, rand: () => number): Item {
  const id = `da63850${String(seed).padStart(4, '0')}${String(i).padStart(8, '0')}_${Math.floor(rand() * 2 ** 31) - 2 ** 30}`;
  const status = pick(['New', 'New', 'InProgress', 'Resolved', 'Unknown'], rand);
  const created = minus(at.text, rand() * 3600);
  const host = pick(HOSTS, rand);
  return {
    ...base,
    id,
    incidentId: 1_000_000 + Math.floor(rand() * 900_000),
    severity: pick(['UnSpecified', 'Informational', 'Low', 'Medium', 'High'], rand),
    status,
    title: i % 3 === 0 ? base.title : pick(TITLES, rand),
    category: pick(CATEGORIES, rand),
    alertCreationTime: created,
    firstEventTime: minus(created, rand() * 600),
    lastEventTime: minus(created, 1),
    lastUpdateTime: at.text,
    resolvedTime: status === 'Resolved' ? at.text : null,
    computerDnsName: `${host}.corp.contoso.com`,
  };
}

function siemItem(base: Item, alertId: string, part: number, at: Instant, rand: () => number): Item {
  const ioc = Buffer.from(`${alertId}/${part}/${Math.floor(rand() * 1e9)}`).toString('base64');
  const host = pick(HOSTS, rand);
  return {
    ...base,
    AlertId: alertId,
    AlertPart: part,
    FullId: `${alertId}:${ioc}`,
    IocUniqueId: ioc,
    AlertTime: minus(at.text, 60 + rand() * 3600),
    LastProcessedTimeUtc: at.text,
    Severity: pick(['Informational', 'Low', 'Medium', 'High'], rand),
    AlertTitle: part === 0 && typeof base.AlertTitle === 'string' ? base.AlertTitle : pick(TITLES, rand),
    MachineName: host,
    ComputerDnsName: `${host}.corp.contoso.com`,
    LinkToMTP: `https://security.microsoft.com/alert/${alertId}`,
    ReportID: Math.floor(rand() * 2 ** 31),
  };
}

function realContext(index: number, seed: number, at: Instant, rand: () => number, large: boolean): RealShapeContext {
  const created = minus(at.text, rand() * 3600);
  return {
    rand,
    seed,
    index,
    updated: at.text,
    created,
    firstActivity: minus(created, rand() * 600),
    lastActivity: minus(created, 1),
    large,
  };
}

/**
 * Yields `count` alerts of `api` lazily, ascending by last-update time, deterministic for a given seed. Use it (or
 * loadGeneratedAlerts) for very large sets, so a million parsed alerts never sit in memory at once.
 */
export function* iterateAlerts(api: AlertApi, options: GenerateOptions): Generator<Item> {
  const { count, seed = 1, tieGroups, hostileEvery, approxBytes = 1500, shape = 'real', largeEvery } = options;
  const alertsPerIncident = options.alertsPerIncident ?? 3;
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`generateAlerts: count must be a whole number ≥ 0, not ${count}`);
  const rand = prng(seed);
  const from = toTicks(options.from, 'from');
  const to = toTicks(options.to, 'to');
  const fixtures = loadFixtureAlerts(api);
  const hostile = fixtures[fixtures.length - 1]!;
  // Re-parsing the template text is several times faster than structuredClone and gives each item its own objects.
  const hostileJson = JSON.stringify(hostile);
  const normalJson = fixtures.slice(0, -1).map((f) => JSON.stringify(f));
  // Times are drawn up front and sorted, so items come out in time order without holding them all.
  let timeOf: (i: number) => Instant;
  if (tieGroups !== undefined) {
    const groups = makeInstants(Math.max(1, tieGroups), from, to, rand);
    const picks = Uint32Array.from({ length: count }, () => Math.floor(rand() * groups.length)).sort();
    timeOf = (i) => groups[picks[i]!]!;
  } else {
    const instants = makeInstants(count, from, to, rand);
    timeOf = (i) => instants[i]!;
  }
  const descField = api === 'siem' ? 'Description' : 'description';
  const alertBases =
    api === 'incidents'
      ? loadFixtureAlerts('graph')
          .slice(0, -1)
          .map((f) => JSON.stringify(f))
      : [];

  let alertNo = 0;
  let alertId = '';
  let partsLeft = 0;
  let part = 0;
  for (let i = 0; i < count; i++) {
    const isHostile = hostileEvery !== undefined && hostileEvery > 0 && (i + 1) % hostileEvery === 0;
    const template = isHostile ? hostileJson : normalJson[i % normalJson.length]!;
    const base = JSON.parse(template) as Item;
    const at = timeOf(i);
    const real = shape === 'real' && !isHostile;
    const large = real && largeEvery !== undefined && largeEvery > 0 && (i + 1) % largeEvery === 0;
    let item: Item;
    if (api === 'incidents') {
      const options = { alertsPerIncident, approxBytes, real: shape === 'real' };
      item = incidentItem(base, alertBases, i, seed, at, rand, options);
    } else if (api === 'siem') {
      if (partsLeft === 0) {
        alertNo++;
        alertId = `da63850${String(seed).padStart(4, '0')}${String(alertNo).padStart(8, '0')}_${Math.floor(rand() * 2 ** 31)}`;
        partsLeft = 1 + Math.floor(rand() * 3);
        part = 0;
      }
      item = siemItem(base, alertId, part, at, rand);
      if (real) item = realSiemDetection(item, { ...realContext(i, seed, at, rand, large), alertId, part });
      part++;
      partsLeft--;
    } else if (real) item = REAL_SHAPES[api](base, realContext(i, seed, at, rand, large));
    else item = api === 'graph' ? graphItem(base, i, seed, at, rand) : mdeItem(base, i, seed, at, rand);
    if (isHostile) {
      // Keep the hostile strings where the fixture put them.
      for (const field of ['title', 'AlertTitle', 'displayName', 'description', 'Description']) {
        if (field in hostile) item[field] = hostile[field];
      }
    }
    if (api !== 'incidents') pad(item, descField, approxBytes, real ? toWireJson(item).length : template.length);
    yield item;
  }
}

/** Builds `count` alerts of `api`, ascending by last-update time, deterministic for a given seed. */
export function generateAlerts(api: AlertApi, options: GenerateOptions): Item[] {
  return [...iterateAlerts(api, options)];
}

/** Generates straight into a store in chunks (benchmarks: a million alerts without a million parsed objects). */
export function loadGeneratedAlerts(
  store: AlertStore,
  api: AlertApi,
  options: GenerateOptions,
  chunkSize = 10_000,
): number {
  let chunk: Item[] = [];
  let n = 0;
  for (const item of iterateAlerts(api, options)) {
    chunk.push(item);
    if (chunk.length >= chunkSize) {
      store.addAlerts(api, chunk);
      n += chunk.length;
      chunk = [];
    }
  }
  store.addAlerts(api, chunk);
  return n + chunk.length;
}
