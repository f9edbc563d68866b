/**
 * Throughput of the BUILT defender_stream input (never part of npm test): the test Event Hubs broker, in its own
 * process (test/eventhubs/cli.ts --fill), holds `records` Defender-shaped records of about `size` bytes, packed
 * `per-message` to a message, over 4 and over 32 partitions; the input runs as splunkd runs it from a fresh checkpoint
 * until it has written every record (then SIGTERM), its stdout counted by this process. The naive limit
 * (bench/lib/stream-limit.ts) receives the same messages with the same SDK, JSON.parses bodies, splits records and
 * writes the XML. Records/s are counted from the first event to the last (process start-up excluded; it is printed
 * apart); peak RSS from /proc. Ratio = ours ÷ the limit's.
 *
 *   npx tsx bench/stream.ts [--records 1000000] [--partitions 4,32] [--per-message 20] [--size 1024]
 *                           [--app dist/TA-microsoft-defender]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BrokerReady } from '../test/eventhubs/cli.js';
import { buildInputXml } from '../test/harness/input-xml.js';
import { readPeakRssKb } from '../test/harness/splunkd-harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface StreamBenchRow {
  partitions: number;
  records: number;
  producer: 'defender_stream' | 'limit';
  recordsPerSecond: number;
  startupSeconds: number;
  peakRssMb: number | undefined;
}

export async function runStreamBench(options: {
  records: number;
  partitions: number[];
  perMessage: number;
  size: number;
  app: string;
}): Promise<StreamBenchRow[]> {
  const rows: StreamBenchRow[] = [];
  for (const partitions of options.partitions) {
    for (const producer of ['defender_stream', 'limit'] as const) {
      const broker = await startBroker(partitions, options);
      try {
        const child =
          producer === 'defender_stream'
            ? spawnInput(options.app, broker.connectionString)
            : spawn(
                process.execPath,
                [
                  '--import',
                  'tsx',
                  join(root, 'bench', 'lib', 'stream-limit.ts'),
                  broker.connectionString,
                  String(options.records),
                ],
                {
                  stdio: ['ignore', 'pipe', 'inherit'],
                },
              );
        rows.push({ partitions, records: options.records, producer, ...(await measure(child, options.records)) });
      } finally {
        broker.process.kill('SIGTERM');
      }
    }
  }
  return rows;
}

function spawnInput(app: string, connectionString: string): ChildProcess {
  const child = spawn(join(app, 'bin', 'defender_stream.sh'), [], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.end(
    buildInputXml({
      // No splunkd: storing the secret fails once with a WARN and the run goes on with the clear value.
      serverUri: 'https://127.0.0.1:1',
      sessionKey: 'bench',
      checkpointDir: mkdtempSync(join(tmpdir(), 'stream-bench-')),
      stanzas: [
        {
          name: 'defender_stream://bench',
          params: { event_hub_namespace: 'localhost', event_hub_name: 'defender', connection_string: connectionString },
        },
      ],
    }),
  );
  return child;
}

async function measure(
  child: ChildProcess,
  records: number,
): Promise<Pick<StreamBenchRow, 'recordsPerSecond' | 'startupSeconds' | 'peakRssMb'>> {
  const spawned = performance.now();
  let first: number | undefined;
  let last = spawned;
  let count = 0;
  let tail = '';
  let peakKb: number | undefined;
  const sampler = setInterval(() => {
    peakKb = readPeakRssKb(pidOfNode(child)) ?? peakKb;
  }, 50);
  await new Promise<void>((done) => {
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (chunk: string) => {
      const text = tail + chunk;
      const parts = text.split('</event>');
      count += parts.length - 1;
      tail = parts.at(-1)!.slice(-8);
      if (parts.length > 1) {
        first ??= performance.now();
        last = performance.now();
      }
      if (count >= records) {
        child.kill('SIGTERM');
        done();
      }
    });
    child.on('close', () => done());
  });
  clearInterval(sampler);
  await new Promise((r) => (child.exitCode === null ? child.once('close', r) : r(undefined)));
  const seconds = (last - (first ?? last)) / 1000;
  return {
    recordsPerSecond: seconds > 0 ? Math.round(count / seconds) : 0,
    startupSeconds: Number((((first ?? spawned) - spawned) / 1000).toFixed(2)),
    peakRssMb: peakKb === undefined ? undefined : Math.round(peakKb / 1024),
  };
}

/** The launcher execs node, so the child's pid is node's. */
function pidOfNode(child: ChildProcess): number | undefined {
  return child.pid;
}

async function startBroker(
  partitions: number,
  options: { records: number; perMessage: number; size: number },
): Promise<BrokerReady & { process: ChildProcess }> {
  const messages = Math.ceil(options.records / options.perMessage);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'test', 'eventhubs', 'cli.ts'),
      '--json',
      '--partitions',
      String(partitions),
      '--fill',
      String(messages),
      '--records-per-message',
      String(options.perMessage),
      '--size',
      String(options.size),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolveLine, reject) => {
    createInterface({ input: child.stdout }).once('line', resolveLine);
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return { ...(JSON.parse(line) as BrokerReady), process: child };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '1000000' },
      partitions: { type: 'string', default: '4,32' },
      'per-message': { type: 'string', default: '20' },
      size: { type: 'string', default: '1024' },
      app: { type: 'string', default: join(root, 'dist', 'TA-microsoft-defender') },
    },
  });
  const rows = await runStreamBench({
    records: Number(values.records),
    partitions: values.partitions.split(',').map(Number),
    perMessage: Number(values['per-message']),
    size: Number(values.size),
    app: resolve(values.app),
  });
  printRows(rows);
}

export function printRows(rows: StreamBenchRow[]): void {
  const out = [
    '| partitions | producer | records | records/s | start-up s | peak RSS MB | ratio |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const limit = rows.find((r) => r.partitions === row.partitions && r.producer === 'limit');
    const ratio =
      row.producer === 'defender_stream' && limit ? (row.recordsPerSecond / limit.recordsPerSecond).toFixed(2) : '';
    out.push(
      `| ${row.partitions} | ${row.producer} | ${row.records} | ${row.recordsPerSecond} | ${row.startupSeconds} | ${row.peakRssMb ?? '?'} | ${ratio} |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n${JSON.stringify({ stream: rows })}\n`);
}
