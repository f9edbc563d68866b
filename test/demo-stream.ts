/**
 * The defender_stream part of `npm run demo`: the BUILT input reads a few thousand Defender streaming records from the
 * test Event Hubs broker (test/eventhubs), over four partitions, two of whose categories the add-on has never heard
 * of, as splunkd runs it; it stops on SIGTERM once every record was written, and prints what splunkd would index.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEventHubsBroker } from './eventhubs/broker.js';
import { startFakeSplunkd } from './harness/fake-splunkd.js';
import { buildInputXml } from './harness/input-xml.js';
import { runInput } from './harness/splunkd-harness.js';

const CATEGORIES = [
  'AdvancedHunting-DeviceProcessEvents',
  'AdvancedHunting-DeviceNetworkEvents',
  'AdvancedHunting-EmailEvents',
  'AdvancedHunting-AlertInfo',
  // Two tables the add-on's knowledge does not know: written like any other.
  'AdvancedHunting-CloudProcessEvents',
  'AdvancedHunting-MessagePostDeliveryEvents',
];

export async function demoStream(appDir: string, line: (text?: string) => void, records = 3000): Promise<void> {
  const broker = await startEventHubsBroker({ hubs: [{ name: 'defender', partitionCount: 4 }] });
  const splunkd = await startFakeSplunkd({ sessionKey: 'demo-stream-session-key' });
  try {
    const perMessage = 10;
    const base = Date.now() - 600_000;
    for (let m = 0; m < records / perMessage; m++) {
      const batch = Array.from({ length: perMessage }, (_, r) => {
        const i = m * perMessage + r;
        const at = new Date(base + i * 100).toISOString();
        return {
          time: at,
          tenantId: '7f3e2d1c-0b9a-4877-8665-544332211000',
          operationName: 'Publish',
          category: CATEGORIES[i % CATEGORIES.length],
          properties: { Timestamp: at, DeviceName: `host-${i % 37}`, ReportId: i },
        };
      });
      broker.publish('defender', String(m % 4), { records: batch });
    }
    const checkpointDir = mkdtempSync(join(tmpdir(), 'ta-defender-demo-stream-'));
    line();
    line(
      `== defender_stream: ${records} records in ${records / perMessage} messages over 4 partitions, 6 categories ==`,
    );
    const run = await runInput({
      appDir,
      script: 'defender_stream',
      stdin: buildInputXml({
        serverUri: splunkd.uri,
        sessionKey: 'demo-stream-session-key',
        checkpointDir,
        stanzas: [
          {
            name: 'defender_stream://demo',
            params: {
              event_hub_namespace: 'localhost',
              event_hub_name: 'defender',
              connection_string: broker.connectionString('defender'),
            },
          },
        ],
      }),
      kill: { signal: 'SIGTERM', afterEvents: records },
      timeoutMs: 120_000,
    });
    line(`  exit ${run.exitCode}, ${run.events.length} events, stream closed: ${run.closed}`);
    const byCategory = new Map<string, number>();
    const bySource = new Map<string, number>();
    for (const event of run.events) {
      const category = (JSON.parse(event.data) as { category: string }).category;
      byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
      bySource.set(event.source ?? '', (bySource.get(event.source ?? '') ?? 0) + 1);
    }
    for (const [category, n] of byCategory) line(`  ${category}: ${n} events`);
    for (const [source, n] of bySource) line(`  ${source}: ${n} events`);
    const first = run.events[0];
    if (first)
      line(`  first event: time=${first.time} sourcetype=${first.sourcetype} data=${first.data.slice(0, 120)}…`);
    for (const l of run.stderrLines)
      if (/action=(run_end|stream_start|secret)|^(WARN|ERROR|FATAL)/.test(l)) line(`    stderr: ${l}`);
    const file = readdirSync(checkpointDir).find((f) => f.endsWith('.json'));
    if (file) line(`  checkpoint ${file}: ${readFileSync(join(checkpointDir, file), 'utf8').trim()}`);
  } finally {
    await broker.close();
    await splunkd.close();
  }
}
