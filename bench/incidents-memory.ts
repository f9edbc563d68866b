/**
 * The alert memory of api=incidents (src/defender/alert-memory.ts) at 100,000 open incidents: how much heap it takes,
 * how big the checkpoint gets, and what saving and loading it cost, plus a whole collectAlerts run that backfills
 * those incidents (in-process, no HTTP: a synthetic source and a sink that only counts), its peak RSS and the
 * checkpoint it leaves.
 *
 *   npx tsx bench/incidents-memory.ts [--incidents 100000] [--alerts-per-incident 3]
 *
 * Alert ids have the shape and length of Graph's (`da638…_-1234567890`, 31 characters); incidents were last updated
 * over the last 180 days (Microsoft's default retention), alerts a little before their incident.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AlertMemory } from '../src/defender/alert-memory.js';
import { formatApiTime, fromEpochMs, parseApiTime, TICKS_PER_SECOND, type ApiTime } from '../src/defender/api-time.js';
import { fromInputCheckpoint, initialState, toInputCheckpoint } from '../src/defender/checkpoint.js';
import { collectAlerts } from '../src/inputs/alerts/collect-alerts.js';
import type { EventSink, IncidentsSource, PageInfo, RawIncident, TimeWindow } from '../src/ports.js';
import { testConfig } from '../test/fakes/data-set-source.js';
import { ManualClock, MemoryCheckpointStore, MemoryLogger } from '../test/fakes/memory-ports.js';

const { values } = parseArgs({
  options: {
    incidents: { type: 'string', default: '100000' },
    'alerts-per-incident': { type: 'string', default: '3' },
  },
});
const N_INCIDENTS = Number(values.incidents);
const PER_INCIDENT = Number(values['alerts-per-incident']);
const NOW = Date.parse('2026-12-04T00:00:00Z');
const DAY_TICKS = 86_400n * TICKS_PER_SECOND;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

function peakRssMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function time<T>(fn: () => T): { value: T; ms: number } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** A deterministic pseudo-random number in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Incident {
  id: string;
  time: ApiTime;
  alerts: { id: string; time: ApiTime }[];
}

function makeIncidents(): Incident[] {
  const random = prng(7);
  const now = fromEpochMs(NOW);
  const out: Incident[] = [];
  for (let i = 0; i < N_INCIDENTS; i++) {
    const time = now - BigInt(Math.floor(random() * 180 * 86_400_000)) * 10_000n - 3_000_000_000n;
    const alerts = Array.from({ length: PER_INCIDENT }, (_, k) => ({
      id: `da638${String(i * PER_INCIDENT + k).padStart(15, '0')}_${-Math.floor(random() * 2 ** 31)}`,
      time: time - BigInt(1 + k) * TICKS_PER_SECOND - BigInt(Math.floor(random() * 1e7)),
    }));
    out.push({ id: String(3_000_000 + i), time, alerts });
  }
  return out;
}

function memoryAlone(incidents: Incident[]): void {
  const before = heapMb();
  const memory = new AlertMemory();
  const built = time(() => {
    for (const incident of incidents) for (const alert of incident.alerts) memory.note(alert, incident.time, true);
  });
  const heap = heapMb() - before;
  const watermark = fromEpochMs(NOW);
  const state = { ...initialState(watermark), alerts: memory };
  const saved = time(() => JSON.stringify(toInputCheckpoint(state, new Date(NOW).toISOString())));
  const loaded = time(() => fromInputCheckpoint(JSON.parse(saved.value) as unknown, 'bench'));
  if (loaded.value.alerts.size !== memory.size) throw new Error('the checkpoint did not round-trip');
  const pruned = time(() => memory.prune(watermark));
  const perAlert = (heap * 1e6) / memory.size;
  console.log(`alert memory alone: ${N_INCIDENTS} incidents × ${PER_INCIDENT} alerts = ${memory.size} alerts`);
  console.log(`  heap ${heap.toFixed(1)} MB (${perAlert.toFixed(0)} B per alert), built in ${built.ms.toFixed(0)} ms`);
  console.log(
    `  checkpoint ${(saved.value.length / 1e6).toFixed(1)} MB, save (toJson + stringify) ` +
      `${saved.ms.toFixed(0)} ms, load (parse + fromJson) ${loaded.ms.toFixed(0)} ms, prune ${pruned.ms.toFixed(0)} ms`,
  );
}

/** Serves the incidents whose time is in the window, 50 a page, each with its alerts (small JSON). */
class SyntheticIncidents implements IncidentsSource {
  constructor(private readonly data: Incident[]) {}
  async *incidents(window: TimeWindow, options: { onPage?: (p: PageInfo) => void }): AsyncGenerator<RawIncident> {
    const inWindow = this.data.filter((i) => i.time >= window.from && (window.to === undefined || i.time < window.to));
    for (let p = 0; p * 50 < inWindow.length; p++) {
      options.onPage?.({ page: p + 1, items: 50 });
      for (const incident of inWindow.slice(p * 50, p * 50 + 50)) {
        const text = formatApiTime(incident.time);
        yield {
          json: Buffer.from(
            `{"id":"${incident.id}","lastUpdateDateTime":"${text}","status":"active","severity":"high"}`,
          ),
          id: incident.id,
          time: text,
          alerts: incident.alerts.map((a) => {
            const alertTime = formatApiTime(a.time);
            return {
              json: Buffer.from(`{"id":"${a.id}","incidentId":"${incident.id}","lastUpdateDateTime":"${alertTime}"}`),
              id: a.id,
              time: alertTime,
            };
          }),
        };
      }
    }
  }
}

class CountingSink implements EventSink {
  events = 0;
  write(): void {
    this.events++;
  }
  async flush(): Promise<void> {}
}

async function wholeRun(incidents: Incident[], baselineMb: number): Promise<void> {
  const store = new MemoryCheckpointStore();
  const clock = new ManualClock(NOW);
  const config = testConfig({
    api: 'incidents',
    sourcetype: 'ms:defender:graph:incidents',
    startTime: { kind: 'relative', seconds: 181 * 86400 },
  });
  const run = async () => {
    const sink = new CountingSink();
    const start = process.hrtime.bigint();
    const result = await collectAlerts({
      config,
      source: new SyntheticIncidents(incidents),
      store,
      sink,
      log: new MemoryLogger(),
      clock,
      signal: new AbortController().signal,
      limits: { maxPagesPerRun: 1_000_000 },
    });
    return { result, sink, ms: Number(process.hrtime.bigint() - start) / 1e6 };
  };
  const backfill = await run();
  const doc = store.docs.get(config.stanza)!;
  const parsed = JSON.parse(doc) as { alert_memory: Record<string, string[]> };
  const remembered = Object.values(parsed.alert_memory).reduce((n, pairs) => n + pairs.length / 2, 0);
  console.log(
    `whole backfill run (collectAlerts, synthetic source, counting sink): ${backfill.sink.events} events ` +
      `(${backfill.result.alertEvents} alerts) in ${backfill.result.windows} windows, ` +
      `${(backfill.ms / 1000).toFixed(1)} s`,
  );
  const peak = peakRssMb();
  console.log(
    `  peak RSS ${peak.toFixed(0)} MB (${(peak - baselineMb).toFixed(0)} MB above the data set), checkpoint ` +
      `${(doc.length / 1e6).toFixed(1)} MB (${remembered} alerts remembered), ${store.saves} saves`,
  );
  clock.ms += 300_000;
  const idle = await run();
  console.log(`  next run with nothing new: ${idle.sink.events} events, ${idle.ms.toFixed(0)} ms (load + one save)`);
  const oldest = parseApiTime(Object.keys(parsed.alert_memory)[0]! + 'T00:00:00Z')!;
  console.log(
    `  oldest day remembered: ${formatApiTime(oldest).slice(0, 10)} ` +
      `(${Number((fromEpochMs(NOW) - oldest) / DAY_TICKS)} days before the watermark's day)`,
  );
}

const incidents = makeIncidents();
gc();
const baselineMb = process.memoryUsage().rss / 1024 / 1024;
console.log(`synthetic data set built: RSS ${baselineMb.toFixed(0)} MB before any run (the bench's own data)`);
await wholeRun(incidents, baselineMb);
memoryAlone(incidents);
