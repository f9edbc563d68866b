/**
 * Backfill under Microsoft-like latency and quotas (issue 14), one section of bench/run.ts:
 *
 *   npx tsx bench/run.ts --sections latency [--latency-apis graph,mde,incidents]
 *
 * Per api, the emulator (a process of its own) holds N items over 30 days and the BUILT input reads them three times:
 * - `no latency`: instant answers, no quota on either side (the input's own speed on this machine);
 * - `latency`: every page waits a time to first byte and comes at 20 MB/s (graph and incidents 1 s, mde 3 s), the
 *   emulator answers Microsoft's per-app quotas with 429 + Retry-After, and the input runs as shipped (adaptive
 *   pool, paced to the documented quota);
 * - `latency, pool 1`: the same with `concurrent_windows = 1` (one page at a time: the figure before the pool), over
 *   the last few days only (a smaller slice: at one page at a time the whole set would take many minutes).
 * Target: latency alerts/s ≥ 90% of min(API ceiling, no-latency alerts/s), with zero 429s.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HarnessStanza } from '../test/harness/input-xml.js';
import type { EmulatorReady, EmulatorRequest } from './lib/emulator-protocol.js';
import { runPipeline, startEmulatorChild } from './lib/processes.js';
import { DOCUMENTED_QUOTAS, RequestPacer } from '../src/defender/request-quota.js';

type LatencyApi = 'graph' | 'mde' | 'incidents';

/** What bench/run.ts lends this section. */
export interface LatencyContext {
  /** The prepared app folder (copied here per variant, with its own local settings). */
  app: string;
  work: string;
  cwd: string;
  consumer: string;
  here: string;
  baseEnv(caFile: string): Record<string, string>;
  stanza(name: string, api: LatencyApi, ready: EmulatorReady, appIndex?: number, startTime?: string): HarnessStanza;
  inputXml(stanzas: HarnessStanza[], checkpointDir: string): string;
  freshDir(name: string): string;
  table(title: string, header: string[], rows: (string | number)[][]): void;
}

interface ApiPlan {
  /** Items loaded (incidents: incidents, each with 1–3 alerts). */
  count: number;
  /** Start of the pool-1 run's slice, as start_time. */
  poolOneStart: string;
  ttfbMs: number;
  /** The documented quota × the largest page, items per second. */
  ceiling: number;
  calls: string;
}

const MB20 = 20_000_000;
const PLANS: Record<LatencyApi, ApiPlan> = {
  graph: { count: 300_000, poolOneStart: '-3d', ttfbMs: 1_000, ceiling: (150 * 1_000) / 60, calls: '150/min × 1,000' },
  mde: {
    count: 1_000_000,
    poolOneStart: '-3d',
    ttfbMs: 3_000,
    ceiling: (100 * 10_000) / 60,
    calls: '100/min × 10,000',
  },
  incidents: { count: 10_000, poolOneStart: '-6d', ttfbMs: 1_000, ceiling: (150 * 50) / 60, calls: '150/min × 50' },
};
const BASE_SETTINGS = '[collection]\nmax_pages_per_run = 100000\n';

export interface LatencyOptions {
  /** Shrinks every data set (a quick try: 0.02); the figures in RESULTS.md use 1. */
  scale?: number;
  /**
   * Runs the input at DEBUG and writes each run's log to `<logDir>/<api>-<variant>.log` (every page read, with its
   * window and item count: to see why a run took the requests it took).
   */
  logDir?: string;
  /** The shipped and no-latency runs' start_time (default -31d: a day before the data set's first item). */
  startTime?: string;
}

export async function latencySection(
  ctx: LatencyContext,
  apis: LatencyApi[],
  { scale = 1, logDir, startTime = '-31d' }: LatencyOptions = {},
): Promise<Record<string, unknown>[]> {
  const appWith = (name: string, settings: string): string => {
    const dir = join(ctx.work, `app-${name}`, 'TA-microsoft-defender');
    cpSync(ctx.app, dir, { recursive: true });
    mkdirSync(join(dir, 'local'), { recursive: true });
    const logging = logDir === undefined ? '' : '[logging]\nlog_level = DEBUG\n';
    writeFileSync(join(dir, 'local', 'ta_microsoft_defender_settings.conf'), logging + BASE_SETTINGS + settings);
    return join(dir, 'bin', 'defender_alerts.sh');
  };
  const launchers = {
    // Pacing lifted: the emulator has no quota in this run, and the point is the input's own speed.
    noLatency: appWith('nolat', 'max_requests_per_minute = 100000\n'),
    shipped: appWith('shipped', ''),
    poolOne: appWith('pool1', 'concurrent_windows = 1\n'),
  };
  const rows: (string | number)[][] = [];
  const out: Record<string, unknown>[] = [];
  for (const api of apis) {
    const plan = PLANS[api];
    const request: EmulatorRequest = { api, count: Math.round(plan.count * scale), days: 30, apps: 1 };
    const emu = await startEmulatorChild(join(ctx.here, 'lib', 'latency-emulator.ts'), request);
    const { ready } = emu;
    const latency = { [api]: { ttfbMs: plan.ttfbMs, bytesPerSecond: MB20 } };
    const run = async (variant: keyof typeof launchers, start = startTime) => {
      if (variant === 'noLatency') {
        await emu.command('latency {}');
        await emu.command('quotas off');
      } else {
        await emu.command(`latency ${JSON.stringify(latency)}`);
        await emu.command('quotas on'); // also forgets the previous run's requests
      }
      const before = await emu.command('throttled');
      const result = await runPipeline({
        command: launchers[variant],
        args: [],
        env: ctx.baseEnv(ready.caFile),
        cwd: ctx.cwd,
        consumer: ctx.consumer,
        mode: 'raw',
        stdin: ctx.inputXml([ctx.stanza(`lat_${api}`, api, ready, 0, start)], ctx.freshDir('cp')),
      });
      const after = await emu.command('throttled');
      if (logDir !== undefined) {
        mkdirSync(logDir, { recursive: true });
        writeFileSync(join(logDir, `${api}-${variant}.log`), result.stderr);
      }
      const arrivals = ((await emu.command('timeline')).arrivals as number[] | undefined) ?? [];
      const runEnd = result.stderr.split('\n').find((l) => l.includes('action=run_end')) ?? '';
      const status = /status=(\w+)/.exec(runEnd)?.[1];
      if (result.exitCode !== 0 || status !== 'ok')
        throw new Error(`api=${api} ${variant}: exit ${result.exitCode}, ${runEnd}\n${result.stderr.slice(-3000)}`);
      const served429 =
        Object.values(after).reduce((n: number, v) => n + Number(v), 0) -
        Object.values(before).reduce((n: number, v) => n + Number(v), 0);
      // Items: incidents count the incidents only (each run_end line says how many of the events were alerts).
      const alertEvents = Number(/n_alert_events=(\d+)/.exec(runEnd)?.[1] ?? 0);
      const items = result.consumed.events - alertEvents;
      return {
        variant,
        items,
        events: result.consumed.events,
        wallSeconds: result.wallSeconds,
        itemsPerSecond: items / result.wallSeconds,
        mbPerSecond: result.consumed.bytes / 2 ** 20 / result.wallSeconds,
        peakRssMb: result.peakRssMb,
        cpuSeconds: result.cpuSeconds,
        throttled429: served429,
        inputThrottled: Number(/throttled=(\d+)/.exec(runEnd)?.[1] ?? 0),
        pages: Number(/pages=(\d+)/.exec(runEnd)?.[1] ?? 0),
        runEnd,
        timeline: describeTimeline(arrivals, variant === 'noLatency' ? undefined : spacingOf(api)),
      };
    };
    const noLatency = await run('noLatency');
    if (noLatency.items !== ready.loaded) throw new Error(`api=${api}: ${noLatency.items} of ${ready.loaded} items`);
    const shipped = await run('shipped');
    if (shipped.items !== ready.loaded) throw new Error(`api=${api}: ${shipped.items} of ${ready.loaded} items`);
    const poolOne = await run('poolOne', plan.poolOneStart);
    await emu.stop();
    const bound = Math.min(plan.ceiling, noLatency.itemsPerSecond);
    const ratio = shipped.itemsPerSecond / bound;
    out.push({ api, loaded: ready.loaded, ceiling: plan.ceiling, bound, ratio, latency, noLatency, shipped, poolOne });
    for (const [label, r] of [
      ['no latency, no quota', noLatency],
      ['latency + quota, adaptive pool', shipped],
      ['latency + quota, pool 1 (before)', poolOne],
    ] as const) {
      rows.push([
        api,
        label,
        r.items,
        r.pages,
        r.wallSeconds.toFixed(1),
        r.itemsPerSecond.toFixed(0),
        r.peakRssMb.toFixed(1),
        r.cpuSeconds.toFixed(1),
        r.throttled429,
        r === shipped ? `${(ratio * 100).toFixed(1)}% of ${bound.toFixed(0)}` : '',
      ]);
    }
    process.stdout.write(`  ${api}: ceiling ${plan.calls} = ${plan.ceiling.toFixed(0)}/s; ${shipped.runEnd}\n`);
    process.stdout.write(`  ${api}: requests of the adaptive-pool run: ${shipped.timeline}\n`);
  }
  ctx.table(
    'Backfill with latency (graph, incidents: 1 s per page; mde: 3 s; 20 MB/s) and the documented quotas',
    [
      'api',
      'run',
      'items',
      'requests',
      'wall s',
      'items/s',
      'peak RSS MB',
      'CPU s',
      '429s',
      'vs min(ceiling, no-latency)',
    ],
    rows,
  );
  return out;
}

/** Seconds between two requests at the pace the input keeps to the api's documented quota. */
function spacingOf(api: LatencyApi): number {
  return 1 / new RequestPacer(DOCUMENTED_QUOTAS[api]).requestsPerSecond!;
}

/**
 * Where a run's time went, from the arrival times of its requests at the emulator: how long from the first request
 * to the last, against the same number of requests sent back to back at the input's pace; and how many requests came
 * in the first and the last 10 seconds (a slow ramp or a long tail shows there).
 */
export function describeTimeline(arrivals: number[], spacingS: number | undefined): string {
  if (arrivals.length === 0) return 'no requests';
  const last = arrivals[arrivals.length - 1]!;
  const firstTen = arrivals.filter((t) => t < 10).length;
  const lastTen = arrivals.filter((t) => t > last - 10).length;
  const atPace = spacingS === undefined ? '' : `, at the pace ${((arrivals.length - 1) * spacingS).toFixed(1)} s`;
  return (
    `${arrivals.length} requests, first to last ${last.toFixed(1)} s${atPace}; ` +
    `${firstTen} in the first 10 s, ${lastTen} in the last 10 s`
  );
}
