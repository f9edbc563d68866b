/**
 * Throughput of the streaming alert splitter against one JSON.parse of the whole body, on the same bytes.
 * Run: npx tsx bench/json-split.ts [alerts=100000] [chunkBytes=65536]
 * The splitter hands back each alert's exact text and its key fields (id, last-update time) without parsing it; the
 * last row adds the JSON.parse of each alert, for comparison with parsing the whole body.
 */
import { keyFieldsOf } from '../src/defender/alert-version.js';
import { JsonArraySplitter } from '../src/defender/json-array-stream.js';
import type { RawAlert } from '../src/ports.js';

const alertCount = Number(process.argv[2] ?? 100_000);
const chunkBytes = Number(process.argv[3] ?? 65_536);

/** An MDE-like alert of about 1.5 KB, with escapes and non-ASCII text as real ones have. */
function makeAlert(i: number): Record<string, unknown> {
  return {
    id: `da63747290038283886${i}_1364969609`,
    incidentId: 1126093 + i,
    investigationId: null,
    assignedTo: null,
    severity: 'Low',
    status: 'New',
    classification: null,
    determination: null,
    investigationState: 'Queued',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: '17e10bbc-3a68-474a-8aad-faef14d43952',
    category: 'Execution',
    title: 'Low-reputation arbitrary code executed by signed executable',
    description:
      'Binaries signed by Microsoft can be used to run low-reputation arbitrary code. "Quoted" — naïve café ✓',
    alertCreationTime: '2021-01-26T20:33:57.7220239Z',
    lastUpdateTime: '2021-01-26T20:33:59.2Z',
    machineId: '111e6dd8c833c8a052ea231ec1b19adaf497b625',
    computerDnsName: 'temp123.middleeast.corp.microsoft.com',
    mitreTechniques: ['T1064', 'T1085', 'T1220'],
    relatedUser: { userName: 'temp123', domainName: 'DOMAIN' },
    comments: [
      {
        comment: 'test comment for docs',
        createdBy: 'secop123@contoso.com',
        createdTime: '2021-01-26T01:00:37.8404534Z',
      },
    ],
    evidence: [
      {
        entityType: 'Process',
        sha1: 'aabbccddee1122334455aabbccddee1122334455',
        fileName: 'cmd.exe',
        filePath: 'C:\\Windows\\System32',
        processId: 4242,
        processCommandLine: 'cmd.exe /c "echo \\"hi\\""',
        processCreationTime: '2021-01-26T20:31:32.9562661Z',
        parentProcessId: 1,
        accountName: 'temp123',
        domainName: 'DOMAIN',
        userSid: 'S-1-5-21-1111111111-2222222222-3333333333-1001',
        detectionStatus: 'Detected',
      },
      { entityType: 'Url', url: 'https://example.com/a?b=c&d=e', ipAddress: null, registryKey: null },
    ],
  };
}

const value = Array.from({ length: alertCount }, (_, i) => makeAlert(i));
const body = Buffer.from(JSON.stringify({ '@odata.context': 'https://x/api/$metadata#Alerts', value }));
const megabytes = body.length / 1e6;

function time(label: string, run: () => number): void {
  run(); // warm-up
  const rounds = 3;
  const started = process.hrtime.bigint();
  let items = 0;
  for (let i = 0; i < rounds; i++) items = run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9 / rounds;
  const rate = (megabytes / seconds).toFixed(0).padStart(6);
  process.stdout.write(`${label.padEnd(34)} ${rate} MB/s  (${items} alerts, ${seconds.toFixed(3)} s)\n`);
}

process.stdout.write(`body: ${megabytes.toFixed(1)} MB, ${alertCount} alerts, chunks of ${chunkBytes} bytes\n`);
time('JSON.parse(whole body)', () => (JSON.parse(body.toString('utf8')) as { value: unknown[] }).value.length);
/** Splits the body in chunks; `onAlert` sees each alert. */
function splitBody(onAlert: (alert: RawAlert) => void): number {
  const splitter = new JsonArraySplitter('odata', { keyFields: keyFieldsOf('mde') });
  let n = 0;
  for (let i = 0; i < body.length; i += chunkBytes) {
    for (const alert of splitter.push(body.subarray(i, i + chunkBytes))) {
      onAlert(alert);
      n++;
    }
  }
  splitter.end();
  return n;
}
// What the input does: each alert's bytes and its key fields, read from the bytes.
time('JsonArraySplitter (text + keys)', () => splitBody(() => undefined));
// The same, plus a JSON.parse of each alert's text: what reading every field would cost.
time('JsonArraySplitter + JSON.parse', () => splitBody((alert) => JSON.parse(alert.json.toString('utf8'))));
