/**
 * Shared set-up of the end-to-end tests: the BUILT app run as splunkd runs it (test/harness), against the
 * Defender/Graph/Entra ID emulator and a fake splunkd REST, all real servers on 127.0.0.1.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseApiTime } from '../../src/defender/api-time.js';
import { serviceOf, startEmulator, type Emulator } from '../emulator/emulator.js';
import { startFakeSplunkd, type FakeSplunkd } from '../harness/fake-splunkd.js';
import { buildInputXml } from '../harness/input-xml.js';
import { runInput, type ScriptOptions } from '../harness/splunkd-harness.js';
import { builtAppDir } from '../helpers/built-app.js';

export type Api = 'graph' | 'mde' | 'siem' | 'incidents';

export const TENANT = '8f1c3e4a-2b6d-4c1e-9a7f-5d3b2e1c0a9b';
export const CLIENT = '0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b';
export const SECRET = 'Zq8~sEcReT-value.DoNotLog_1234567890abcd';
export const SESSION_KEY = 'SplunkSessionKey^Fake_abcdefghijklmnopqrstuvwxyz0123';

export const ROLES: Record<Api, string[]> = {
  graph: ['SecurityAlert.Read.All'],
  mde: ['Alert.Read.All'],
  siem: [],
  incidents: ['SecurityIncident.Read.All'],
};

/** Which field of a served item is its id and time, per api. */
export const KEY_FIELDS: Record<Api, { id: string; time: string }> = {
  graph: { id: 'id', time: 'lastUpdateDateTime' },
  mde: { id: 'id', time: 'lastUpdateTime' },
  siem: { id: 'FullId', time: 'LastProcessedTimeUtc' },
  incidents: { id: 'id', time: 'lastUpdateDateTime' },
};

/** The sourcetype of each api's own events (api incidents also writes graph alerts). */
export const SOURCETYPES: Record<Api, string> = {
  graph: 'ms:defender:graph:alerts',
  mde: 'ms:defender:atp:alerts',
  siem: 'ms:defender:siem:detections',
  incidents: 'ms:defender:graph:incidents',
};

export interface E2e {
  emu: Emulator;
  splunkd: FakeSplunkd;
  appDir: string;
  close(): Promise<void>;
}

/**
 * Starts the emulator and a fake splunkd. `settings` (conf text) goes into the app's local/ settings file, on a copy of
 * the built app, as an admin would write it: e.g. a small page_size so ties span pages.
 */
export async function startE2e(options: Parameters<typeof startEmulator>[0] = {}, settings?: string): Promise<E2e> {
  let appDir = builtAppDir();
  // The emulator's quotas are off unless a test turns them on, and so is the input's pacing to them: at 150 requests
  // a minute every run of many small pages would take seconds. A test that sets rateLimits keeps the documented pace.
  if (options.rateLimits === undefined || options.rateLimits === false) {
    settings = `[collection]\nmax_requests_per_minute = 100000\n${settings ?? ''}`;
  }
  if (settings !== undefined) {
    const copy = join(mkdtempSync(join(tmpdir(), 'ta-defender-app-')), 'TA-microsoft-defender');
    cpSync(appDir, copy, { recursive: true });
    mkdirSync(join(copy, 'local'), { recursive: true });
    writeFileSync(join(copy, 'local', 'ta_microsoft_defender_settings.conf'), settings);
    appDir = copy;
  }
  const emu = await startEmulator({ rateLimits: false, ...options });
  emu.addApp({
    tenantId: TENANT,
    clientId: CLIENT,
    secret: SECRET,
    roles: [...ROLES.graph, ...ROLES.mde, ...ROLES.incidents],
  });
  const splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY });
  return {
    emu,
    splunkd,
    appDir,
    close: async () => {
      await emu.close();
      await splunkd.close();
    },
  };
}

export function stanzaParams(e2e: E2e, api: Api, extra: Record<string, string> = {}): Record<string, string> {
  return {
    tenant_id: TENANT,
    client_id: CLIENT,
    client_secret: SECRET,
    api,
    ...(api === 'siem' ? { region: 'eu' } : {}),
    api_url: e2e.emu.urls[serviceOf(api)],
    login_url: e2e.emu.urls.login,
    start_time: '-7d',
    overlap_seconds: '300',
    ...extra,
  };
}

export function newCheckpointDir(): string {
  return mkdtempSync(join(tmpdir(), 'ta-defender-cp-'));
}

/** Runs the built input for one stanza, as splunkd would. */
export function runStanza(
  e2e: E2e,
  options: {
    name: string;
    api: Api;
    checkpointDir: string;
    params?: Record<string, string>;
    kill?: ScriptOptions['kill'];
    env?: Record<string, string>;
    serverUri?: string;
  },
) {
  const stdin = buildInputXml({
    serverUri: options.serverUri ?? e2e.splunkd.uri,
    sessionKey: SESSION_KEY,
    checkpointDir: options.checkpointDir,
    stanzas: [{ name: `defender_alerts://${options.name}`, params: stanzaParams(e2e, options.api, options.params) }],
  });
  return runInput({
    appDir: e2e.appDir,
    stdin,
    env: { NODE_EXTRA_CA_CERTS: e2e.emu.caFile, ...options.env },
    kill: options.kill,
    timeoutMs: 60_000,
  });
}

/** `id@ticks` of an emitted event's alert. */
export function versionKey(api: Api, item: Record<string, unknown>): string {
  const f = KEY_FIELDS[api];
  return `${String(item[f.id])}@${parseApiTime(String(item[f.time]))}`;
}

/** The versions of the api's own events (for incidents: the incidents, not the alerts inside them). */
export function emittedVersions(api: Api, events: { data: string; sourcetype?: string }[]): string[] {
  const own = api === 'incidents' ? events.filter((e) => e.sourcetype === SOURCETYPES.incidents) : events;
  return own.map((e) => versionKey(api, JSON.parse(e.data) as Record<string, unknown>));
}

/** api incidents: the versions of the alert events (the alerts found inside incidents). */
export function emittedAlertVersions(events: { data: string; sourcetype?: string }[]): string[] {
  return events
    .filter((e) => e.sourcetype === SOURCETYPES.graph)
    .map((e) => versionKey('graph', JSON.parse(e.data) as Record<string, unknown>));
}

/** api incidents: the alert versions the emulator delivered inside incidents. */
export function servedIncidentAlertVersions(e2e: E2e): Set<string> {
  return new Set(e2e.emu.servedIncidentAlerts().map((v) => `${v.id}@${parseApiTime(v.time)}`));
}

export function servedVersions(e2e: E2e, api: Api): Set<string> {
  return new Set(e2e.emu.served(api).map((v) => `${v.id}@${parseApiTime(v.time)}`));
}

export function currentVersions(e2e: E2e, api: Api): Set<string> {
  return new Set(e2e.emu.store.all(api).map((item) => versionKey(api, item)));
}

/** The checkpoint documents in a checkpoint dir (name → parsed JSON). */
export function readCheckpoints(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')))
    out[file] = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  return out;
}

/** `id@ticks` (as emittedVersions spells a version) for every version in a checkpoint document's `seen`. */
export function seenVersions(doc: { seen: Record<string, string[]> }): Set<string> {
  return new Set(Object.entries(doc.seen).flatMap(([time, ids]) => ids.map((id) => `${id}@${parseApiTime(time)}`)));
}

/** How many times each key occurs. */
export function countBy(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Every stderr line, joined, must not contain any secret. */
export function assertNoSecrets(text: string): void {
  for (const secret of [SECRET, SESSION_KEY, encodeURIComponent(SECRET)]) {
    if (text.includes(secret))
      throw new Error(
        `a secret leaked into output: …${text.slice(Math.max(0, text.indexOf(secret) - 80), text.indexOf(secret))}…`,
      );
  }
}
