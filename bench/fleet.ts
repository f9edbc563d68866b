/**
 * Fleet: N stanzas (graph, mde and incidents in turn, each its own app registration) started together against one
 * emulator, the way splunkd starts every enabled stanza after a restart with `use_single_instance = false` (one
 * process each, through the launcher), against the same stanzas in ONE process (bench/lib/fleet-driver.ts: the app's
 * own composition, stanzas run side by side, one event stream). Reported per mode: wall time, the sum of every
 * process's peak RSS (VmHWM), the largest total RSS seen at one instant, and CPU seconds (user + system of the
 * processes and everything they ran, launcher probes included: the cutime/cstime this process gains by reaping them).
 *
 *   npx tsx bench/run.ts --sections fleet [--fleet-stanzas 100] [--fleet-items 1000]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { HarnessStanza } from '../test/harness/input-xml.js';
import type { AlertApi } from '../test/emulator/emulator.js';
import type { EmulatorReady } from './lib/emulator-protocol.js';
import { startEmulatorChild } from './lib/processes.js';

/** What bench/run.ts lends the fleet section. */
export interface FleetContext {
  here: string;
  work: string;
  cwd: string;
  /** The prepared app folder (its local settings lift the page cap) and its launcher. */
  app: string;
  launcher: string;
  env(caFile: string): Record<string, string>;
  stanza(name: string, api: AlertApi, ready: EmulatorReady, appIndex: number, startTime: string): HarnessStanza;
  inputXml(stanzas: HarnessStanza[], checkpointDir: string): string;
  freshDir(name: string): string;
  table(title: string, header: string[], rows: (string | number)[][]): void;
}

export interface FleetOptions {
  stanzas: number;
  /** Items the emulator serves per api (incidents: incidents, each with 1–3 alerts). */
  items: number;
}

interface ModeFigures {
  processes: number;
  /** Processes that exited non-zero (each names its stanza's error on stderr, kept in `failureSamples`). */
  failed: number;
  wallSeconds: number;
  events: number;
  sumPeakRssMb: number;
  maxPeakRssMb: number;
  /** The largest sum of VmRSS over the live processes at one sample. */
  peakTotalRssMb: number;
  cpuSeconds: number;
  emulatorCpuSeconds: number;
}

export interface FleetResult {
  stanzas: number;
  itemsPerApi: number;
  processPerStanza: ModeFigures;
  oneProcess: ModeFigures;
}

const APIS: AlertApi[] = ['graph', 'mde', 'incidents'];

/** CPU seconds of this process's reaped children (cutime + cstime, fields 16 and 17 of /proc/self/stat). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** VmHWM and VmRSS of a live process in kB; undefined once it is gone. */
function memoryKb(pid: number | undefined): { hwm: number; rss: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    const rss = /VmRSS:\s+(\d+)/.exec(status);
    return hwm && rss ? { hwm: Number(hwm[1]), rss: Number(rss[1]) } : undefined;
  } catch {
    return undefined;
  }
}

interface Launch {
  command: string;
  args: string[];
  stdin: string;
}

/** Starts every launch at once; counts `</event>` on each stdout; samples memory every 20 ms until all have exited. */
async function runTogether(
  launches: Launch[],
  env: Record<string, string>,
  cwd: string,
  emulatorCpu: () => number,
): Promise<ModeFigures & { failures: string[] }> {
  const cpuBefore = childrenCpuSeconds();
  const emulatorBefore = emulatorCpu();
  const started = performance.now();
  const peaks = new Map<number, number>();
  let peakTotalKb = 0;
  const live = new Set<number>();
  const timer = setInterval(() => {
    let total = 0;
    for (const pid of live) {
      const m = memoryKb(pid);
      if (!m) continue;
      total += m.rss;
      peaks.set(pid, Math.max(peaks.get(pid) ?? 0, m.hwm));
    }
    peakTotalKb = Math.max(peakTotalKb, total);
  }, 20);
  const failures: string[] = [];
  const counts = await Promise.all(
    launches.map(async (launch) => {
      const child = spawn(launch.command, launch.args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
      if (child.pid !== undefined) live.add(child.pid);
      let events = 0;
      let tail = '';
      child.stdout.on('data', (chunk: Buffer) => {
        const text = tail + chunk.toString('latin1');
        events += text.split('</event>').length - 1;
        tail = text.slice(-7);
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      child.stdin.on('error', () => {});
      child.stdin.end(launch.stdin);
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      if (child.pid !== undefined) {
        const m = memoryKb(child.pid);
        if (m) peaks.set(child.pid, Math.max(peaks.get(child.pid) ?? 0, m.hwm));
        live.delete(child.pid);
      }
      if (code !== 0) failures.push(`exit ${code}: ${stderr.slice(-1500)}`);
      return events;
    }),
  );
  clearInterval(timer);
  const wallSeconds = (performance.now() - started) / 1000;
  const hwm = [...peaks.values()];
  return {
    processes: launches.length,
    wallSeconds,
    events: counts.reduce((a, b) => a + b, 0),
    sumPeakRssMb: hwm.reduce((a, b) => a + b, 0) / 1024,
    maxPeakRssMb: Math.max(0, ...hwm) / 1024,
    peakTotalRssMb: peakTotalKb / 1024,
    cpuSeconds: childrenCpuSeconds() - cpuBefore,
    emulatorCpuSeconds: emulatorCpu() - emulatorBefore,
    failed: failures.length,
    failures,
  };
}

/** The last line of a process's stderr that says something (its run_end ERROR line). */
function lastLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return (lines.find((l) => l.includes('action=run_end')) ?? lines.at(-1) ?? '').slice(0, 400);
}

/** The in-process driver as one CommonJS file, bundled the way build.mjs bundles the app's entry points. */
async function bundleDriver(ctx: FleetContext): Promise<string> {
  const outfile = join(ctx.work, 'fleet-driver.cjs');
  await build({
    entryPoints: [join(ctx.here, 'lib', 'fleet-driver.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    define: { __ADDON_VERSION__: JSON.stringify('bench') },
    alias: { dotenv: join(ctx.here, '..', 'scripts', 'empty-dotenv.cjs') },
    // As build.mjs: no "use strict" atop the bundle (splunk-sdk's sloppy-mode CommonJS reads arguments.callee).
    tsconfigRaw: {
      compilerOptions: {
        alwaysStrict: false,
        useDefineForClassFields: true,
        verbatimModuleSyntax: false,
        esModuleInterop: true,
      },
    },
  });
  return outfile;
}

export async function fleet(ctx: FleetContext, options: FleetOptions): Promise<FleetResult> {
  const driver = await bundleDriver(ctx);
  const emu = await startEmulatorChild(join(ctx.here, 'lib', 'emulator-process.ts'), {
    api: 'graph',
    also: ['mde', 'incidents'],
    count: options.items,
    days: 1,
    apps: options.stanzas,
  });
  const env = ctx.env(emu.ready.caFile);
  const stanzas = Array.from({ length: options.stanzas }, (_, i) =>
    ctx.stanza(`fleet_${i}`, APIS[i % APIS.length]!, emu.ready, i, '-2d'),
  );
  // One process per stanza, all at once, sharing one checkpoint folder (splunkd's is one per scheme).
  const perStanzaDir = ctx.freshDir('cp-fleet');
  const many = await runTogether(
    stanzas.map((s) => ({ command: ctx.launcher, args: [], stdin: ctx.inputXml([s], perStanzaDir) })),
    env,
    ctx.cwd,
    emu.cpuSeconds,
  );
  // The same stanzas in one process, from fresh checkpoints, on the same node and flags as the launcher's.
  const one = await runTogether(
    [
      {
        command: process.execPath,
        args: ['--optimize-for-size', driver, ctx.app],
        stdin: ctx.inputXml(stanzas, ctx.freshDir('cp-fleet-one')),
      },
    ],
    env,
    ctx.cwd,
    emu.cpuSeconds,
  );
  await emu.stop();
  // A process that fails is a finding (100 processes starting on a small machine can starve each other past the
  // request timeouts), reported with its error; the comparison of events holds only when none failed.
  if (one.failures.length > 0) throw new Error(`the one-process fleet run failed:\n${one.failures[0]}`);
  if (many.failures.length === 0 && many.events !== one.events) {
    throw new Error(`fleet: ${many.events} events from the processes, ${one.events} from the one process`);
  }
  const { failures: manyFailures, ...processPerStanza } = many;
  const { failures: _o, ...oneProcess } = one;
  for (const failure of manyFailures.slice(0, 3)) process.stdout.write(`  failed process: ${lastLine(failure)}\n`);
  const row = (label: string, f: ModeFigures) => [
    label,
    `${f.processes - f.failed} of ${f.processes}`,
    f.events,
    f.wallSeconds.toFixed(2),
    f.sumPeakRssMb.toFixed(0),
    f.maxPeakRssMb.toFixed(1),
    f.peakTotalRssMb.toFixed(0),
    f.cpuSeconds.toFixed(1),
    f.emulatorCpuSeconds.toFixed(1),
  ];
  ctx.table(
    `Fleet: ${options.stanzas} stanzas (graph, mde, incidents in turn; ${options.items} items per api) started together`,
    [
      'mode',
      'processes ok',
      'events',
      'wall s',
      'sum of peak RSS MB',
      'largest process MB',
      'peak total RSS MB',
      'CPU s',
      'emulator CPU s',
    ],
    [
      row(`${options.stanzas} processes through the launcher (use_single_instance = false)`, processPerStanza),
      row('1 process, stanzas side by side (bench/lib/fleet-driver.ts)', oneProcess),
    ],
  );
  return { stanzas: options.stanzas, itemsPerApi: options.items, processPerStanza, oneProcess };
}
