/**
 * Process plumbing of the benchmarks: a producer whose stdout is piped straight into a consumer process (no relay
 * through this process), with the producer's peak RSS sampled from /proc, and the emulator child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { readPeakRssKb } from '../../test/harness/splunkd-harness.js';
import type { ConsumeResult } from './consume.js';
import type { EmulatorReady, EmulatorRequest } from './emulator-protocol.js';

/** One producer → consumer run. */
export interface PipelineResult {
  wallSeconds: number;
  /** Peak resident set of the producer (VmHWM), MB; 0 where /proc is missing. */
  peakRssMb: number;
  /** CPU time (user + system) of the producer, seconds, as last sampled before it exited (±20 ms). */
  cpuSeconds: number;
  exitCode: number | null;
  stderr: string;
  consumed: ConsumeResult;
}

export interface PipelineOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Written to the producer's stdin, which is then closed. */
  stdin?: string;
  /** The consumer script (bundled JS) and its mode. */
  consumer: string;
  mode: 'strict' | 'raw';
}

/** User + system CPU seconds of a live process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
export function readCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/** Runs the producer with its stdout on the consumer's stdin; resolves when both have exited. */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const consumer = spawn(process.execPath, [options.consumer, options.mode], { stdio: ['pipe', 'pipe', 'pipe'] });
  let consumerOut = '';
  let consumerErr = '';
  consumer.stdout.on('data', (c: Buffer) => (consumerOut += c.toString()));
  consumer.stderr.on('data', (c: Buffer) => (consumerErr += c.toString()));
  const consumerDone = exited(consumer);

  const started = performance.now();
  const producer = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', consumer.stdin, 'pipe'],
  });
  // The producer holds its own copy of the pipe; ours must go, or the consumer never sees the end of its input.
  consumer.stdin.destroy();
  let stderr = '';
  producer.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  producer.stdin.on('error', () => {});
  producer.stdin.end(options.stdin ?? '');
  let peakKb = 0;
  let cpuSeconds = 0;
  const sample = () => {
    peakKb = Math.max(peakKb, readPeakRssKb(producer.pid) ?? 0);
    cpuSeconds = readCpuSeconds(producer.pid) ?? cpuSeconds;
  };
  const timer = setInterval(sample, 20);
  const producerDone = exited(producer);
  producer.once('exit', sample);
  const [exitCode, consumerCode] = await Promise.all([producerDone, consumerDone]);
  clearInterval(timer);
  const wallSeconds = (performance.now() - started) / 1000;
  if (consumerCode !== 0)
    throw new Error(
      `the ${options.mode} consumer rejected the stream: ${consumerErr.trim()}\nproducer stderr (tail): ${stderr.slice(-2000)}`,
    );
  return {
    wallSeconds,
    peakRssMb: peakKb / 1024,
    cpuSeconds,
    exitCode,
    stderr,
    consumed: JSON.parse(consumerOut) as ConsumeResult,
  };
}

/** The emulator child: ready data plus a line-based command channel. */
export interface EmulatorChild {
  ready: EmulatorReady;
  /** CPU seconds the emulator process has used so far. */
  cpuSeconds(): number;
  command(line: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts bench/lib/emulator-process.ts under tsx and waits for its ready line. */
export async function startEmulatorChild(script: string, request: EmulatorRequest): Promise<EmulatorChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(request)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the emulator process ended early');
    return JSON.parse(value) as Record<string, unknown>;
  };
  const ready = (await next()) as unknown as EmulatorReady;
  const done = exited(child);
  return {
    ready,
    cpuSeconds: () => readCpuSeconds(child.pid) ?? 0,
    command: async (line) => {
      child.stdin.write(`${line}\n`);
      return next();
    },
    stop: async () => {
      child.stdin.end('quit\n');
      await done;
    },
  };
}

/** Runs a command to its end and returns its wall time in ms (process start to exit). */
export async function timeCommand(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  stdin = '',
): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(stdin);
  const code = await exited(child);
  return { ms: performance.now() - started, code, stdout, stderr };
}
