/**
 * How fast the real @azure/event-hubs client receives from the test broker (never part of npm test):
 *
 *   npx tsx bench/eventhubs-receive.ts [--count 200000] [--partitions 4] [--size 1024] [--batch 300]
 *                                      [--prefetch N] [--parse-json]
 *
 * The broker runs in its own process (test/eventhubs/cli.ts --fill), so its encoding does not share this process's
 * event loop; it publishes `count` Defender-shaped messages of about `size` bytes round-robin over the partitions
 * before the clock starts. This process subscribes from earliest, as the input will: raw bodies
 * (skipParsingBodyAsJson) unless --parse-json, and counts until every message arrived (checking each partition's
 * sequence numbers are complete and in order). Prints a table row and a JSON line: messages/s, MB/s, and the peak
 * RSS of this process (the client) and of the broker.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EventHubConsumerClient, earliestEventPosition } from '@azure/event-hubs';
import type { BrokerReady } from '../test/eventhubs/cli.js';
import { readPeakRssKb } from '../test/harness/splunkd-harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '4' },
    size: { type: 'string', default: '1024' },
    batch: { type: 'string', default: '300' },
    prefetch: { type: 'string' },
    'parse-json': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const partitions = Number(values.partitions);
const batch = Number(values.batch);
for (const [name, value] of [
  ['count', count],
  ['partitions', partitions],
  ['batch', batch],
] as const) {
  if (!(Number.isInteger(value) && value >= 1))
    throw new Error(`--${name} must be a whole number of at least 1, not '${values[name]}'`);
}

const broker = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    join(root, 'test/eventhubs/cli.ts'),
    '--json',
    '--fill',
    String(count),
    '--partitions',
    String(partitions),
    '--size',
    String(values.size),
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
const ready = await new Promise<BrokerReady>((resolveReady, reject) => {
  broker.once('exit', (code) => reject(new Error(`the broker process exited with ${code} before it was ready`)));
  createInterface({ input: broker.stdout }).once('line', (line) => resolveReady(JSON.parse(line) as BrokerReady));
});

const client = new EventHubConsumerClient('$Default', ready.connectionString, {
  retryOptions: { retryDelayInMs: 100, maxRetryDelayInMs: 500, maxRetries: 3, timeoutInMs: 10_000 },
  loadBalancingOptions: { updateIntervalInMs: 200 },
});
const expectedNext = new Map<string, number>();
let received = 0;
let bytes = 0;
let problems = 0;
let peakClientKb = 0;
let peakBrokerKb = 0;
const sampler = setInterval(() => {
  peakClientKb = Math.max(peakClientKb, readPeakRssKb(process.pid) ?? 0);
  peakBrokerKb = Math.max(peakBrokerKb, readPeakRssKb(broker.pid) ?? 0);
}, 50);
const started = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
const done = new Promise<void>((resolveDone, reject) => {
  const subscription = client.subscribe(
    {
      processEvents: async (events, context) => {
        let next = expectedNext.get(context.partitionId) ?? 0;
        for (const event of events) {
          if (event.sequenceNumber !== next) problems++;
          next = event.sequenceNumber + 1;
          bytes += Buffer.isBuffer(event.body) ? event.body.length : JSON.stringify(event.body).length;
        }
        expectedNext.set(context.partitionId, next);
        received += events.length;
        if (received >= count) subscription.close().then(resolveDone, reject);
      },
      processError: async (error, context) => {
        process.stderr.write(`processError partition=${context.partitionId || '-'} ${error.name}: ${error.message}\n`);
      },
    },
    {
      startPosition: earliestEventPosition,
      maxBatchSize: batch,
      maxWaitTimeInSeconds: 1,
      skipParsingBodyAsJson: !values['parse-json'],
      ...(values.prefetch ? { prefetchCount: Number(values.prefetch) } : {}),
    },
  );
});
await done;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStart);
clearInterval(sampler);
peakClientKb = Math.max(peakClientKb, readPeakRssKb(process.pid) ?? 0);
await client.close();
broker.kill('SIGTERM');

const result = {
  bench: 'eventhubs-receive',
  messages: received,
  partitions,
  messageBytes: Math.round(bytes / Math.max(received, 1)),
  batch,
  bodies: values['parse-json'] ? 'json' : 'raw',
  seconds: Number(seconds.toFixed(2)),
  messagesPerSecond: Math.round(received / seconds),
  megabytesPerSecond: Number((bytes / seconds / 1e6).toFixed(1)),
  /** CPU seconds this process (the client) used while receiving: near `seconds` means the client is the bound. */
  clientCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  peakRssClientMb: Math.round(peakClientKb / 1024),
  peakRssBrokerMb: Math.round(peakBrokerKb / 1024),
  sequenceProblems: problems,
  brokerFillSeconds: Number(ready.fillSeconds.toFixed(2)),
  node: process.version,
};
process.stdout.write(
  `| messages | partitions | bytes/msg | bodies | s | msg/s | MB/s | client CPU s | client peak RSS MB | broker peak RSS MB | problems |\n`,
);
process.stdout.write(
  `| ${result.messages} | ${partitions} | ${result.messageBytes} | ${result.bodies} | ${result.seconds} | ${result.messagesPerSecond} | ${result.megabytesPerSecond} | ${result.clientCpuSeconds} | ${result.peakRssClientMb} | ${result.peakRssBrokerMb} | ${problems} |\n`,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
if (problems > 0 || received < count) process.exitCode = 1;
