/**
 * Enqueue → written latency of the BUILT defender_stream input at its default settings (never part of npm test):
 * the test Event Hubs broker (in this process) receives a steady stream of Defender-shaped messages over 4 partitions
 * while the input runs as splunkd runs it; each record carries its publish time, and the time its `</event>` reaches
 * this process's pipe is taken as "written". Prints p50, p95 and max.
 *
 *   npx tsx bench/stream-latency.ts [--seconds 30] [--rate 2000] [--app dist/TA-microsoft-defender]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEventHubsBroker } from '../test/eventhubs/broker.js';
import { buildInputXml } from '../test/harness/input-xml.js';
import { startFakeSplunkd } from '../test/harness/fake-splunkd.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    rate: { type: 'string', default: '2000' },
    app: { type: 'string', default: resolve('dist', 'TA-microsoft-defender') },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const PER_MESSAGE = 20;
const broker = await startEventHubsBroker({ hubs: [{ name: 'defender', partitionCount: 4 }] });
const splunkd = await startFakeSplunkd({ sessionKey: 'bench-session-key' });
const stdin = buildInputXml({
  serverUri: splunkd.uri,
  sessionKey: 'bench-session-key',
  checkpointDir: mkdtempSync(join(tmpdir(), 'stream-latency-')),
  stanzas: [
    {
      name: 'defender_stream://latency',
      params: {
        event_hub_namespace: 'localhost',
        event_hub_name: 'defender',
        connection_string: broker.connectionString('defender'),
      },
    },
  ],
});
const child = spawn(join(values.app, 'bin', 'defender_stream.sh'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
child.stdin.end(stdin);
const latencies: number[] = [];
let tail = '';
child.stdout.setEncoding('latin1');
child.stdout.on('data', (chunk: string) => {
  const now = Date.now();
  const text = tail + chunk;
  const marker = /&quot;PublishedAtMs&quot;:(\d+)|"PublishedAtMs":(\d+)/g;
  let last = 0;
  for (let m = marker.exec(text); m; m = marker.exec(text)) {
    const end = text.indexOf('</event>', m.index);
    if (end < 0) break;
    latencies.push(now - Number(m[1] ?? m[2]));
    last = end;
  }
  tail = text.slice(last);
});
// Publish every 50 ms so the rate is steady; one message holds PER_MESSAGE records of about 1 KB.
const messagesPerTick = Math.max(1, Math.round(rate / PER_MESSAGE / 20));
let sent = 0;
let partition = 0;
const started = Date.now();
await new Promise<void>((done) => {
  const timer = setInterval(() => {
    if (Date.now() - started >= seconds * 1000) {
      clearInterval(timer);
      done();
      return;
    }
    for (let m = 0; m < messagesPerTick; m++) {
      const at = Date.now();
      const records = Array.from({ length: PER_MESSAGE }, (_, r) => ({
        time: new Date(at).toISOString(),
        category: 'AdvancedHunting-DeviceProcessEvents',
        properties: { Timestamp: new Date(at).toISOString(), PublishedAtMs: at, Seq: sent + r, Pad: 'x'.repeat(900) },
      }));
      broker.publish('defender', String(partition++ % 4), { records });
      sent += PER_MESSAGE;
    }
  }, 50);
});
await new Promise((r) => setTimeout(r, 3000));
child.kill('SIGTERM');
await new Promise((r) => child.on('close', r));
await broker.close();
await splunkd.close();
// The first seconds include the process start and the broker connection: measure the steady state after 5 s.
const steady = latencies.slice(Math.floor(latencies.length * (5 / seconds)));
steady.sort((a, b) => a - b);
const pct = (p: number) => steady[Math.min(steady.length - 1, Math.floor((p / 100) * steady.length))] ?? NaN;
console.log(
  `records published ${sent}, written ${latencies.length}; steady state (after 5 s): p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${steady.at(-1)} ms`,
);
