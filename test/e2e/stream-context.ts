/**
 * Shared set-up of the defender_stream end-to-end tests: the BUILT app run as splunkd runs it (test/harness) against
 * the test Event Hubs broker (test/eventhubs) and a fake splunkd REST, all real servers on 127.0.0.1.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEventHubsBroker, TEST_SAS_RULE, type BrokerOptions, type EventHubsBroker } from '../eventhubs/broker.js';
import { startFakeSplunkd, type FakeSplunkd } from '../harness/fake-splunkd.js';
import { buildInputXml } from '../harness/input-xml.js';
import { runInput, type ScriptOptions } from '../harness/splunkd-harness.js';
import { builtAppDir } from '../helpers/built-app.js';

export const SESSION_KEY = 'SplunkSessionKey^Fake_stream_abcdefghijklmnopqrstuvwxyz';
export const HUB = 'defender';

export interface StreamE2e {
  broker: EventHubsBroker;
  splunkd: FakeSplunkd;
  appDir: string;
  close(): Promise<void>;
}

export async function startStreamE2e(options: BrokerOptions = {}): Promise<StreamE2e> {
  const appDir = builtAppDir();
  const broker = await startEventHubsBroker({ hubs: [{ name: HUB, partitionCount: 4 }], ...options });
  const splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY });
  return {
    broker,
    splunkd,
    appDir,
    close: async () => {
      await broker.close();
      await splunkd.close();
    },
  };
}

/** SAS over plain AMQP: the broker's emulator-style connection string. */
export function sasParams(e2e: StreamE2e, extra: Record<string, string> = {}): Record<string, string> {
  return {
    event_hub_namespace: 'localhost',
    event_hub_name: HUB,
    connection_string: e2e.broker.connectionString(HUB),
    ...extra,
  };
}

export function newCheckpointDir(): string {
  return mkdtempSync(join(tmpdir(), 'ta-defender-stream-cp-'));
}

/** Runs the built defender_stream for one stanza; it runs until `kill` (or the timeout) stops it. */
export function runStream(
  e2e: StreamE2e,
  options: {
    name: string;
    checkpointDir: string;
    params: Record<string, string>;
    kill?: ScriptOptions['kill'];
    env?: Record<string, string>;
    timeoutMs?: number;
  },
) {
  const stdin = buildInputXml({
    serverUri: e2e.splunkd.uri,
    sessionKey: SESSION_KEY,
    checkpointDir: options.checkpointDir,
    stanzas: [{ name: `defender_stream://${options.name}`, params: options.params }],
  });
  return runInput({
    appDir: e2e.appDir,
    script: 'defender_stream',
    stdin,
    env: { ...options.env },
    kill: options.kill,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

/** A Defender-shaped record with a unique id (`ReportId`). */
export function record(
  id: string,
  category = 'AdvancedHunting-DeviceProcessEvents',
  timestamp: string | null = '2026-12-04T10:00:00.1234567Z',
) {
  return {
    time: '2026-12-04T10:00:05.0000000Z',
    tenantId: '8f1c3e4a-2b6d-4c1e-9a7f-5d3b2e1c0a9b',
    operationName: 'Publish',
    category,
    properties: { ...(timestamp === null ? {} : { Timestamp: timestamp }), DeviceName: 'host-1', ReportId: id },
  };
}

/**
 * Publishes `messages` messages of `perMessage` records on each of `partitions`, ids `<tag>-<partition>-<m>-<r>`;
 * returns the ids.
 */
export function publishRecords(
  broker: EventHubsBroker,
  tag: string,
  options: { partitions: string[]; messages: number; perMessage: number; category?: string },
): string[] {
  const ids: string[] = [];
  for (const partition of options.partitions) {
    for (let m = 0; m < options.messages; m++) {
      const records = [];
      for (let r = 0; r < options.perMessage; r++) {
        const id = `${tag}-${partition}-${m}-${r}`;
        ids.push(id);
        records.push(record(id, options.category));
      }
      broker.publish(HUB, partition, { records });
    }
  }
  return ids;
}

/** The ReportId of each event (the record's unique id), in order. */
export function idsOf(events: { data: string }[]): string[] {
  return events.map((e) => {
    try {
      const parsed = JSON.parse(e.data) as { properties?: { ReportId?: string } };
      return parsed.properties?.ReportId ?? `(no id: ${e.data.slice(0, 60)})`;
    } catch {
      return `(not JSON: ${e.data.slice(0, 60)})`;
    }
  });
}

export function readCheckpointDocs(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>);
}

export { TEST_SAS_RULE };
