/**
 * The benchmarks of issue 5 (npm run bench; never part of npm test). Each section prints a table and a JSON line.
 *
 *   npm run bench                                    # everything: backfill 100k and 1M per api, cold start,
 * multi-tenant, fleet
 *   npx tsx bench/run.ts --sizes 100000 --apis graph --sections backfill
 *   npx tsx bench/run.ts --app dist-slim/TA-microsoft-defender    # another built app folder
 *   npx tsx bench/run.ts --sections backfill --cpu-prof /tmp/prof  # V8 CPU profiles of the input's runs
 *   npx tsx bench/run.ts --sections fleet            # 100 stanzas at once: processes vs one process (fleet.ts)
 *   npx tsx bench/run.ts --sections latency --latency-logs /tmp/l   # Microsoft-like latency and quotas (latency.ts),
 *                                                    # keeping each run's DEBUG log (one window_read line per window)
 *   npx tsx bench/rss-probe.ts                       # peak RSS of a 1M-alert backfill with the pool at its largest
 *
 * Backfill: the emulator (its own process) serves N alerts of ~1.5 KB over the last 30 days; the BUILT input runs as
 * splunkd runs it (launcher, input XML on stdin, fresh checkpoint) with its stdout piped into a consumer process:
 * `strict` parses every byte with a strict XML parser and splunkd's stream rules, `raw` only counts. The limit
 * (bench/lib/limit.ts) turns the very response bytes the input received into the same stream with no HTTP and no
 * checks. Ratio = our alerts/s ÷ the limit's, same consumer.
 */
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildInputXml, type HarnessStanza } from '../test/harness/input-xml.js';
import { benchApp, type EmulatorReady } from './lib/emulator-protocol.js';
import { readPeakRssKb } from '../test/harness/splunkd-harness.js';
import { runPipeline, startEmulatorChild, timeCommand, type PipelineResult } from './lib/processes.js';
import { serviceOf, type AlertApi } from '../test/emulator/emulator.js';
import { spawn } from 'node:child_process';
import { latencySection } from './latency.js';
import { fleet } from './fleet.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    apis: { type: 'string', default: 'graph,mde,siem' },
    sections: { type: 'string', default: 'backfill,coldstart,multitenant,fleet,stream' },
    app: { type: 'string', default: join(root, 'dist', 'TA-microsoft-defender') },
    /**
     * Backfill: another built app run right before this one on the same emulator and bytes (an A/B on a machine whose
     * load changes from minute to minute); its rows say `before`.
     */
    'compare-app': { type: 'string' },
    repeat: { type: 'string', default: '10' },
    tenants: { type: 'string', default: '50' },
    /** `strict,raw` (default) or one of them: the strict consumer bounds both producers near 20 MB/s (saxes). */
    consumers: { type: 'string', default: 'strict,raw' },
    /** Sizes above this skip the strict consumer (saxes reads ~20 MB/s: 3.4 GB would take minutes per run). */
    'strict-max': { type: 'string', default: '100000' },
    /** The latency section's apis (bench/latency.ts). */
    'latency-apis': { type: 'string', default: 'graph,mde,incidents' },
    /** Shrinks the latency section's data sets for a quick try (e.g. 0.02). */
    'latency-scale': { type: 'string', default: '1' },
    /** Runs the latency section's inputs at DEBUG and keeps each run's log in this folder. */
    'latency-logs': { type: 'string' },
    /**
     * The backfill's start_time in the latency section (give it as `--latency-start=-2d`: parseArgs refuses a value
     * that starts with a dash otherwise). -31d, the default, begins a day before the 30 days of data. -30d misses the
     * oldest alerts: the input's -30d is taken once the emulator has loaded, minutes after the data's, and the
     * section stops when the no-latency run reads fewer items than were loaded.
     */
    'latency-start': { type: 'string', default: '-31d' },
    /** Fleet section: stanzas started together, and items per api. */
    'fleet-stanzas': { type: 'string', default: '100' },
    'fleet-items': { type: 'string', default: '1000' },
    /** NODE_OPTIONS for every input run (e.g. `--max-semi-space-size=2`, to try V8 memory settings). */
    'input-node-options': { type: 'string' },
    /** Write a V8 CPU profile of each input run into this folder (node --cpu-prof through NODE_OPTIONS). */
    'cpu-prof': { type: 'string' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const apis = values.apis.split(',') as AlertApi[];
const sections = new Set(values.sections.split(','));
const repeat = Number(values.repeat);
const tenants = Number(values.tenants);
const consumers = new Set(values.consumers.split(','));
const strictMax = Number(values['strict-max']);
const work = mkdtempSync(join(tmpdir(), 'ta-defender-bench-'));
// No page cap in the way of a 1M backfill, and no pacing: these sections measure the input's own speed against the
// limit on the same bytes; pacing to Microsoft's quotas (on by default) is what the latency section measures.
const SETTINGS = '[collection]\nmax_pages_per_run = 100000\nmax_requests_per_minute = 100000\n';
const APP_FOLDER = 'TA-microsoft-defender';

/** A copy of the built app with the bench's local settings (SETTINGS). */
function prepareApp(appFolder: string, copyName = APP_FOLDER): string {
  const source = resolve(appFolder);
  if (!existsSync(join(source, 'bin', 'defender_alerts.sh')))
    throw new Error(`no built app in ${source}: run node build.mjs first`);
  const app = join(work, copyName);
  cpSync(source, app, { recursive: true });
  mkdirSync(join(app, 'local'), { recursive: true });
  writeFileSync(join(app, 'local', 'ta_microsoft_defender_settings.conf'), SETTINGS);
  return app;
}

/** bench/lib scripts as plain JS (no TS loader in the measured processes). */
async function bundle(name: string): Promise<string> {
  const outfile = join(work, `${name}.mjs`);
  await build({
    entryPoints: [join(here, 'lib', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

const app = prepareApp(values.app);
const launcher = join(app, 'bin', 'defender_alerts.sh');
const compareApp = values['compare-app'] ? prepareApp(values['compare-app'], join('compare', APP_FOLDER)) : undefined;
const [consumer, limit] = await Promise.all([bundle('consume'), bundle('limit')]);
const splunkHome = join(work, 'splunk');
const cwd = join(work, 'cwd');
for (const dir of [splunkHome, cwd]) mkdirSync(dir, { recursive: true });
// The launcher prefers the bundled runtime; without one it takes this node (first on PATH).
const bundledNode = join(app, 'linux_x86_64', 'bin', 'node');
const runtime = existsSync(bundledNode)
  ? `bundled ${(await timeCommand(bundledNode, ['--version'], {}, cwd)).stdout.trim()}`
  : `system ${process.version}`;

/**
 * How the input is started: through its launcher, as splunkd does; with --cpu-prof, the same node and flags straight
 * on the bundle (node refuses --cpu-prof in NODE_OPTIONS).
 */
function inputCommand(appDir = app): { command: string; args: string[] } {
  const profileDir = values['cpu-prof'];
  if (profileDir === undefined) return { command: join(appDir, 'bin', 'defender_alerts.sh'), args: [] };
  const bundle = join(appDir, 'bin', 'lib', 'defender_alerts.cjs');
  return {
    command: process.execPath,
    args: ['--optimize-for-size', '--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`, bundle],
  };
}

function baseEnv(caFile: string): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: work,
    SPLUNK_HOME: splunkHome,
    NODE_EXTRA_CA_CERTS: caFile,
    ...(values['input-node-options'] ? { NODE_OPTIONS: values['input-node-options'] } : {}),
  };
}

function stanza(name: string, api: AlertApi, ready: EmulatorReady, appIndex = 0, startTime = '-31d'): HarnessStanza {
  const creds = benchApp(appIndex);
  return {
    name: `defender_alerts://${name}`,
    params: {
      tenant_id: creds.tenantId,
      client_id: creds.clientId,
      client_secret: creds.secret,
      api,
      ...(api === 'siem' ? { region: 'eu' } : {}),
      api_url: ready.urls[serviceOf(api)],
      login_url: ready.urls.login,
      start_time: startTime,
    },
  };
}

function inputXml(stanzas: HarnessStanza[], checkpointDir: string): string {
  // server_uri points at a closed port: storing the secret fails fast with one WARN, as on a forwarder without REST.
  return buildInputXml({ serverUri: 'https://127.0.0.1:9', sessionKey: 'bench-session-key', checkpointDir, stanzas });
}

function freshDir(name: string): string {
  const dir = join(work, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function runEnd(stderr: string): string {
  return stderr.split('\n').find((l) => l.includes('action=run_end')) ?? '(no run_end line)';
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(
    `\n${title}\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map((r) => line(r.map(String))).join('\n')}\n`,
  );
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const results: Record<string, unknown> = {
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    benchNode: process.version,
    inputRuntime: runtime,
    app: values.app,
  },
};

interface Figures {
  alertsPerSec: number;
  mbPerSec: number;
  wallSeconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  events: number;
  bytes: number;
  emulatorCpuSeconds?: number;
}
function figures(run: PipelineResult): Figures {
  return {
    cpuSeconds: run.cpuSeconds,
    alertsPerSec: run.consumed.events / run.wallSeconds,
    mbPerSec: run.consumed.bytes / 2 ** 20 / run.wallSeconds,
    wallSeconds: run.wallSeconds,
    peakRssMb: run.peakRssMb,
    events: run.consumed.events,
    bytes: run.consumed.bytes,
  };
}

async function backfill(): Promise<void> {
  const rows: (string | number)[][] = [];
  const out: Record<string, unknown>[] = [];
  for (const n of sizes) {
    for (const api of apis) {
      const emu = await startEmulatorChild(join(here, 'lib', 'emulator-process.ts'), {
        api,
        count: n,
        days: 30,
        apps: 1,
      });
      const { ready } = emu;
      const env = baseEnv(ready.caFile);
      const capture = freshDir(`capture-${api}`);
      const ours = (mode: 'strict' | 'raw', appDir = app) =>
        runPipeline({
          ...inputCommand(appDir),
          env,
          cwd,
          consumer,
          mode,
          stdin: inputXml([stanza(`bench_${api}`, api, ready)], freshDir('cp')),
        });
      // Run 1 records the response bytes for the limit (not reported: writing them costs the emulator time).
      await emu.command(`capture ${capture}`);
      const recording = await ours('raw');
      await emu.command('capture off');
      if (recording.exitCode !== 0) throw new Error(`the input failed: ${recording.stderr.slice(-3000)}`);
      const served = await emu.command('served');
      const limitRun = (mode: 'strict' | 'raw') =>
        runPipeline({
          command: process.execPath,
          args: [limit, capture, api, `defender_alerts://bench_${api}`],
          env,
          cwd,
          consumer,
          mode,
        });
      const entry: Record<string, unknown> = { api, alerts: n, served, emulatorLoadSeconds: ready.loadSeconds };
      const variants = [
        ...(compareApp ? [{ label: 'before', appDir: compareApp }] : []),
        { label: compareApp ? 'after' : 'this', appDir: app },
      ];
      for (const mode of ['strict', 'raw'] as const) {
        if (!consumers.has(mode) || (mode === 'strict' && n > strictMax)) continue;
        const measured: { label: string; run: PipelineResult; emulatorCpuSeconds: number }[] = [];
        for (const { label, appDir } of variants) {
          const emulatorCpuBefore = emu.cpuSeconds();
          const run = await ours(mode, appDir);
          const emulatorCpuSeconds = emu.cpuSeconds() - emulatorCpuBefore;
          if (run.exitCode !== 0 || run.consumed.events !== ready.loaded || !run.consumed.closed) {
            throw new Error(
              `api=${api} n=${n} (${label}): exit ${run.exitCode}, ${run.consumed.events} events of ${ready.loaded}, closed=${run.consumed.closed}\n${run.stderr.slice(-3000)}`,
            );
          }
          measured.push({ label, run, emulatorCpuSeconds });
        }
        const limitFigures = figures(await limitRun(mode));
        for (const { label, run, emulatorCpuSeconds } of measured) {
          const ourFigures = { ...figures(run), emulatorCpuSeconds };
          const ratio = ourFigures.alertsPerSec / limitFigures.alertsPerSec;
          const key = label === 'before' ? `${mode}Before` : mode;
          entry[key] = { ours: ourFigures, limit: limitFigures, ratio, runEnd: runEnd(run.stderr) };
          rows.push([
            api,
            n,
            mode,
            label,
            fmt(ourFigures.alertsPerSec, 0),
            fmt(ourFigures.mbPerSec),
            fmt(ourFigures.wallSeconds, 2),
            fmt(ourFigures.peakRssMb),
            fmt(ourFigures.cpuSeconds),
            fmt((ourFigures.cpuSeconds / n) * 1e6, 1),
            fmt(emulatorCpuSeconds),
            fmt(limitFigures.alertsPerSec, 0),
            fmt(limitFigures.peakRssMb),
            fmt(limitFigures.cpuSeconds),
            fmt((limitFigures.cpuSeconds / n) * 1e6, 1),
            fmt(ratio, 2),
            fmt(limitFigures.cpuSeconds / ourFigures.cpuSeconds, 2),
          ]);
          process.stdout.write(`  ${api} ${n} ${mode} ${label}: ${runEnd(run.stderr)}\n`);
        }
      }
      await emu.stop();
      rmSync(capture, { recursive: true, force: true });
      out.push(entry);
    }
  }
  table(
    "Backfill (strict = stdout parsed by a strict XML parser; raw = only counted; ratio = alerts/s ÷ the limit's, CPU ratio = the limit's CPU ÷ ours)",
    [
      'api',
      'alerts',
      'consumer',
      'app',
      'alerts/s',
      'MB/s',
      'wall s',
      'peak RSS MB',
      'CPU s',
      'CPU µs/alert',
      'emulator CPU s',
      'limit alerts/s',
      'limit RSS MB',
      'limit CPU s',
      'limit CPU µs/alert',
      'ratio',
      'CPU ratio',
    ],
    rows,
  );
  results.backfill = out;
  process.stdout.write(`${JSON.stringify({ backfill: out })}\n`);
}

async function coldStart(): Promise<void> {
  const emu = await startEmulatorChild(join(here, 'lib', 'emulator-process.ts'), {
    api: 'graph',
    count: 100,
    days: 1,
    apps: 1,
  });
  const env = baseEnv(emu.ready.caFile);
  const scheme: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const run = await timeCommand(launcher, ['--scheme'], env, cwd);
    if (run.code !== 0 || !run.stdout.includes('<scheme>')) throw new Error(`--scheme failed: ${run.stderr}`);
    scheme.push(run.ms);
  }
  const cp = freshDir('cp');
  const xml = inputXml([stanza('cold', 'graph', emu.ready, 0, '-2d')], cp);
  const first = await timeCommand(launcher, [], env, cwd, xml);
  if (first.code !== 0) throw new Error(`first run failed: ${first.stderr}`);
  const idle: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const run = await timeCommand(launcher, [], env, cwd, xml);
    if (run.code !== 0 || run.stdout !== '')
      throw new Error(`a run with nothing new wrote events or failed: ${run.stderr}`);
    idle.push(run.ms);
  }
  await emu.stop();
  const out = {
    schemeMs: { median: median(scheme), min: Math.min(...scheme), max: Math.max(...scheme) },
    nothingNewMs: { median: median(idle), min: Math.min(...idle), max: Math.max(...idle) },
    repeat,
  };
  table(
    `Cold start (process start to exit, ${repeat} runs)`,
    ['what', 'median ms', 'min ms', 'max ms'],
    [
      ['--scheme', fmt(out.schemeMs.median), fmt(out.schemeMs.min), fmt(out.schemeMs.max)],
      [
        'run, nothing new (token + 1 request + checkpoint)',
        fmt(out.nothingNewMs.median),
        fmt(out.nothingNewMs.min),
        fmt(out.nothingNewMs.max),
      ],
    ],
  );
  results.coldStart = out;
  process.stdout.write(`${JSON.stringify({ coldStart: out })}\n`);
}

async function multiTenant(): Promise<void> {
  const perTenant = 1_000;
  const emu = await startEmulatorChild(join(here, 'lib', 'emulator-process.ts'), {
    api: 'graph',
    count: perTenant,
    days: 1,
    apps: tenants,
  });
  const env = baseEnv(emu.ready.caFile);
  const names = Array.from({ length: tenants }, (_, i) => i);
  // One process, every stanza (what use_single_instance=true would give).
  const single = await runPipeline({
    command: launcher,
    args: [],
    env,
    cwd,
    consumer,
    mode: 'strict',
    stdin: inputXml(
      names.map((i) => stanza(`tenant_${i}`, 'graph', emu.ready, i, '-2d')),
      freshDir('cp'),
    ),
  });
  if (single.exitCode !== 0 || single.consumed.events !== tenants * perTenant)
    throw new Error(`single run: ${single.consumed.events} events, ${single.stderr.slice(-2000)}`);
  // One process per stanza, all started together (what splunkd does with use_single_instance=false).
  const cp = freshDir('cp');
  const started = performance.now();
  const peaks: number[] = [];
  const runs = await Promise.all(
    names.map(async (i) => {
      const child = spawn(launcher, [], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let events = 0;
      let tail = '';
      child.stdout.on('data', (c: Buffer) => {
        const text = tail + c.toString('latin1');
        events += text.split('</event>').length - 1;
        tail = text.slice(-7);
      });
      child.stderr.resume();
      child.stdin.end(inputXml([stanza(`tenant_${i}`, 'graph', emu.ready, i, '-2d')], cp));
      let peak = 0;
      const timer = setInterval(() => (peak = Math.max(peak, readPeakRssKb(child.pid) ?? 0)), 20);
      const code = await new Promise<number | null>((r) => child.once('close', r));
      clearInterval(timer);
      peaks.push(peak / 1024);
      return { code, events };
    }),
  );
  const manySeconds = (performance.now() - started) / 1000;
  await emu.stop();
  const manyEvents = runs.reduce((n, r) => n + r.events, 0);
  if (runs.some((r) => r.code !== 0) || manyEvents !== tenants * perTenant)
    throw new Error(`per-stanza runs: ${manyEvents} events`);
  const out = {
    tenants,
    alertsPerTenant: perTenant,
    singleProcess: { wallSeconds: single.wallSeconds, peakRssMb: single.peakRssMb },
    processPerStanza: {
      wallSeconds: manySeconds,
      sumPeakRssMb: peaks.reduce((a, b) => a + b, 0),
      maxPeakRssMb: Math.max(...peaks),
    },
  };
  table(
    `Multi-tenant: ${tenants} stanzas × ${perTenant} graph alerts`,
    ['mode', 'wall s', 'peak RSS MB'],
    [
      [
        '1 process, stanzas in turn (single instance)',
        fmt(out.singleProcess.wallSeconds, 2),
        fmt(out.singleProcess.peakRssMb),
      ],
      [
        `${tenants} processes at once (use_single_instance=false, the shipped mode)`,
        fmt(out.processPerStanza.wallSeconds, 2),
        `${fmt(out.processPerStanza.sumPeakRssMb)} (sum), ${fmt(out.processPerStanza.maxPeakRssMb)} (max)`,
      ],
    ],
  );
  results.multiTenant = out;
  process.stdout.write(`${JSON.stringify({ multiTenant: out })}\n`);
}

try {
  process.stdout.write(`${JSON.stringify(results.machine)}\n`);
  if (sections.has('backfill')) await backfill();
  if (sections.has('coldstart')) await coldStart();
  if (sections.has('multitenant')) await multiTenant();
  if (sections.has('latency')) {
    const ctx = { app, work, cwd, consumer, here, baseEnv, stanza, inputXml, freshDir, table };
    results.latency = await latencySection(
      ctx,
      values['latency-apis'].split(',') as ('graph' | 'mde' | 'incidents')[],
      { scale: Number(values['latency-scale']), logDir: values['latency-logs'], startTime: values['latency-start'] },
    );
    process.stdout.write(`${JSON.stringify({ latency: results.latency })}\n`);
  }
  if (sections.has('fleet')) {
    const fleetOptions = { stanzas: Number(values['fleet-stanzas']), items: Number(values['fleet-items']) };
    const context = { here, work, cwd, app, launcher, env: baseEnv, stanza, inputXml, freshDir, table };
    results.fleet = await fleet(context, fleetOptions);
    process.stdout.write(`${JSON.stringify({ fleet: results.fleet })}\n`);
  }
  if (sections.has('stream')) {
    // defender_stream: 1M records of ~1 KB over 4 and 32 partitions, against the naive limit (bench/stream.ts).
    const { printRows, runStreamBench } = await import('./stream.js');
    const rows = await runStreamBench({
      records: 1_000_000,
      partitions: [4, 32],
      perMessage: 20,
      size: 1024,
      app: values.app,
    });
    printRows(rows);
    results.stream = rows;
  }
  writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nwrote bench/results.json\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
