/**
 * Peak RSS of one 1M-alert backfill with the pool held at its largest, under V8 memory flags given on the command
 * line (issue 14: "peak RSS under 150 MB for a 1M-alert backfill with the pool at its largest"):
 *
 *   node build.mjs && npx tsx bench/rss-probe.ts [--api mde] [--count 1000000] [--flags=--max-semi-space-size=2] …
 *
 * The built input runs as its launcher runs it (the bundled Node.js, `--optimize-for-size`), with
 * `concurrent_windows = 8` (the pool's largest; `--pool N` to compare), no quota pacing and an emulator without latency: the fastest, and so
 * the most memory-hungry, way through. Each `--flags` value is one run; prints wall time, peak RSS and CPU per run.
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildInputXml } from '../test/harness/input-xml.js';
import { serviceOf, type AlertApi } from '../test/emulator/emulator.js';
import { benchApp } from './lib/emulator-protocol.js';
import { runPipeline, startEmulatorChild } from './lib/processes.js';
import { MAX_POOL_SIZE } from '../src/defender/window-pool.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    api: { type: 'string', default: 'mde' },
    count: { type: 'string', default: '1000000' },
    app: { type: 'string', default: join(here, '..', 'dist', 'TA-microsoft-defender') },
    flags: { type: 'string', multiple: true, default: [''] },
    /** Windows read at once (`concurrent_windows`); default the pool's largest. */
    pool: { type: 'string', default: String(MAX_POOL_SIZE) },
  },
});
const api = values.api as AlertApi;
const work = mkdtempSync(join(tmpdir(), 'ta-defender-rss-'));
const app = join(work, 'TA-microsoft-defender');
cpSync(resolve(values.app), app, { recursive: true });
mkdirSync(join(app, 'local'), { recursive: true });
writeFileSync(
  join(app, 'local', 'ta_microsoft_defender_settings.conf'),
  `[collection]\nmax_pages_per_run = 100000\nmax_requests_per_minute = 100000\nconcurrent_windows = ${values.pool}\n`,
);
const consumer = join(work, 'consume.mjs');
await build({
  entryPoints: [join(here, 'lib', 'consume.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: consumer,
  logLevel: 'warning',
});
const emu = await startEmulatorChild(join(here, 'lib', 'emulator-process.ts'), {
  api,
  count: Number(values.count),
  days: 30,
  apps: 1,
});
const creds = benchApp(0);
for (const flags of values.flags) {
  const checkpointDir = mkdtempSync(join(work, 'cp-'));
  const result = await runPipeline({
    command: join(app, 'bin', 'defender_alerts.sh'),
    args: [],
    env: {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: work,
      SPLUNK_HOME: join(work, 'splunk'),
      NODE_EXTRA_CA_CERTS: emu.ready.caFile,
      ...(flags ? { NODE_OPTIONS: flags } : {}),
    },
    cwd: work,
    consumer,
    mode: 'raw',
    stdin: buildInputXml({
      serverUri: 'https://127.0.0.1:9',
      sessionKey: 'bench-session-key',
      checkpointDir,
      stanzas: [
        {
          name: `defender_alerts://rss_${api}`,
          params: {
            tenant_id: creds.tenantId,
            client_id: creds.clientId,
            client_secret: creds.secret,
            api,
            api_url: emu.ready.urls[serviceOf(api)],
            login_url: emu.ready.urls.login,
            start_time: '-31d',
          },
        },
      ],
    }),
  });
  const runEnd = result.stderr.split('\n').find((l) => l.includes('action=run_end')) ?? result.stderr.slice(-2000);
  process.stdout.write(
    `${JSON.stringify({
      flags: flags || '(none)',
      events: result.consumed.events,
      wallSeconds: Number(result.wallSeconds.toFixed(1)),
      peakRssMb: Number(result.peakRssMb.toFixed(1)),
      cpuSeconds: result.cpuSeconds,
      runEnd: runEnd.replace(/^.*action=run_end /, ''),
    })}\n`,
  );
}
await emu.stop();
