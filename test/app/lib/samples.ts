/**
 * The sample alerts the knowledge-object tests run through the search-time evaluator: the fixtures
 * (test/fixtures/alerts) and real-shaped alerts from the emulator's generator (test/emulator/real-shapes.ts), each as
 * the exact text the input would index (_raw), with its parsed form for the oracle.
 */
import { generateAlerts } from '../../emulator/generator.js';
import { toWireJson } from '../../emulator/real-shapes.js';
import { readSamples, type Shape } from './knowledge.js';

/** One sample event. */
export interface Sample {
  /** Where it comes from, for failure messages: `fixture graph #2`, `generated mde seed 7 #3 (48213 bytes)`. */
  name: string;
  shape: Shape;
  /** The event text, as indexed. */
  raw: string;
  alert: Record<string, unknown>;
}

const RANGE = { from: '2024-05-01T00:00:00Z', to: '2024-05-01T06:00:00Z' };

/** The fixture alerts of a shape. */
export function fixtureSamples(shape: Shape): Sample[] {
  return readSamples(shape).map((alert, i) => ({
    name: `fixture ${shape} #${i}`,
    shape,
    raw: JSON.stringify(alert),
    alert,
  }));
}

/** Real-shaped generated alerts of a shape; every `largeEvery`-th one large (tens of KB). */
export function generatedSamples(shape: Shape, count: number, seed: number, largeEvery = 4): Sample[] {
  return generateAlerts(shape, { count, seed, ...RANGE, largeEvery }).map((alert, i) => {
    const raw = toWireJson(alert);
    return { name: `generated ${shape} seed ${seed} #${i} (${raw.length} bytes)`, shape, raw, alert };
  });
}

/** Every sample of a shape: the fixtures plus 40 real-shaped alerts from two seeds (10 of them large). */
export function allSamples(shape: Shape): Sample[] {
  return [...fixtureSamples(shape), ...generatedSamples(shape, 20, 101), ...generatedSamples(shape, 20, 202)];
}

/**
 * The first large generated alert of a shape of at least `minBytes` whose late fields start past byte 5,000: for
 * graph and mde its evidence, for siem its LinkToMTP (the exporter has no evidence list).
 */
export function largeSample(shape: Shape, minBytes: number): Sample {
  const marker = shape === 'siem' ? '"LinkToMTP"' : '"evidence"';
  for (let seed = 1; seed < 200; seed++) {
    const found = generatedSamples(shape, 1, seed, 1).find(
      (s) => Buffer.byteLength(s.raw) >= minBytes && Buffer.byteLength(s.raw.slice(0, s.raw.indexOf(marker))) > 5000,
    );
    if (found && (shape !== 'siem' || typeof found.alert.LinkToMTP === 'string')) return found;
  }
  throw new Error(`no generated ${shape} alert of ${minBytes} bytes with ${marker} past byte 5,000 in seeds 1-199`);
}
