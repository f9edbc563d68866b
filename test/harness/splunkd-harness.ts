/**
 * Runs the BUILT app the way splunkd does: the launcher `bin/<name>.sh` executed directly
 * (start_by_shell=false), a clean minimal environment with SPLUNK_HOME, an unrelated working directory that holds a
 * hostile `.env` (the app must not read it), the XML written to stdin which is then closed. stdout is read with the
 * strict stream parser and every stderr line must start with a level word, as splunkd expects: anything else throws.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseSplunkStream, type ParsedEvent } from '../helpers/stream-parser.js';

/** How to run one script. */
export interface ScriptOptions {
  /** Arguments after the launcher, e.g. `['--scheme']` or `['--execute']`. */
  args?: string[];
  /** Written to stdin, which is then closed. */
  stdin: string | Buffer;
  /** Added to (or overriding) the minimal environment: PATH (this node first), HOME, SPLUNK_HOME. */
  env?: Record<string, string>;
  /** Stop the process as splunkd would (SIGTERM) or as a crash would (SIGKILL), after a delay or N complete events. */
  kill?: { signal: 'SIGKILL' | 'SIGTERM'; afterMs?: number; afterEvents?: number };
  /** SIGKILL and reject after this long (default 60 s). */
  timeoutMs?: number;
  /** Keep the run's temporary folders (cwd, HOME, SPLUNK_HOME) for inspection; they are removed by default. */
  keepDirs?: boolean;
}

/** What splunkd would have seen of one run. */
export interface ScriptResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** stderr split into lines (each checked to start with DEBUG|INFO|WARN|ERROR|FATAL), newlines removed. */
  stderrLines: string[];
  durationMs: number;
  /** Peak resident memory of the process (Linux: VmHWM, sampled while it runs). */
  peakRssKb?: number;
  /** The folders the run used: `cwd` (with its hostile .env), `home`, `splunkHome` (gone unless `keepDirs`). */
  dirs: { root: string; cwd: string; home: string; splunkHome: string };
}

/** A run of the modular input: the result plus the events splunkd would have indexed. */
export interface InputResult extends ScriptResult {
  events: ParsedEvent[];
  /** Every `<stream>` that was opened was closed (false when the output was cut off). */
  closed: boolean;
}

/** The contents of the hostile `.env` placed in the working directory of every run. */
export const HOSTILE_DOTENV = 'NODE_OPTIONS=--bogus\nHTTPS_PROXY=http://127.0.0.1:9\nHTTP_PROXY=http://127.0.0.1:9\n';

const LEVEL_LINE = /^(DEBUG|INFO|WARN|ERROR|FATAL) /;

/** Runs the modular input `bin/<script>.sh` (default defender_alerts) of the built app in `appDir`. */
export async function runInput(options: ScriptOptions & { appDir: string; script?: string }): Promise<InputResult> {
  const { appDir, script, ...rest } = options;
  const result = await runScript(appDir, script ?? 'defender_alerts', rest);
  let parsed: { events: ParsedEvent[]; closed: boolean };
  try {
    parsed = parseSplunkStream(result.stdout);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nstderr:\n${result.stderrLines.join('\n')}`, { cause: error });
  }
  return { ...result, ...parsed };
}

/**
 * Runs `bin/<name>.sh` of the app in `appDir` (a modular input, or an alert action with `args: ['--execute']`).
 * Rejects if a stderr line lacks a level word or the process outlives `timeoutMs`.
 */
export function runScript(appDir: string, name: string, options: ScriptOptions): Promise<ScriptResult> {
  const dirs = prepareDirs();
  const env: Record<string, string> = {
    PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
    HOME: dirs.home,
    SPLUNK_HOME: dirs.splunkHome,
    ...options.env,
  };
  const started = performance.now();
  const child = spawn(join(appDir, 'bin', `${name}.sh`), options.args ?? [], {
    cwd: dirs.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  return new Promise<ScriptResult>((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timers: NodeJS.Timeout[] = [];
    let peakRssKb: number | undefined;
    let eventsSeen = 0;
    let scanned = '';
    let timedOut = false;
    let killSent = false;
    const kill = options.kill;
    // Once only, as splunkd does: a second SIGTERM would defeat the script's own graceful stop.
    const sendKill = () => {
      if (killSent || !kill) return;
      killSent = true;
      child.kill(kill.signal);
    };

    const sampleRss = () => {
      peakRssKb = readPeakRssKb(child.pid) ?? peakRssKb;
    };
    if (process.platform === 'linux') timers.push(setInterval(sampleRss, 25));
    if (kill?.afterMs !== undefined) timers.push(setTimeout(sendKill, kill.afterMs));
    timers.push(
      setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs ?? 60_000),
    );

    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      if (kill?.afterEvents === undefined) return;
      // `</event>` cannot occur inside escaped content, so counting it counts complete events. Keep a short tail
      // so a tag split across chunks is still seen.
      scanned += chunk.toString('latin1');
      const parts = scanned.split('</event>');
      eventsSeen += parts.length - 1;
      scanned = parts[parts.length - 1]!.slice(-8);
      if (kill?.afterEvents !== undefined && eventsSeen >= kill.afterEvents) sendKill();
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => {
      // The script may exit without reading stdin (--scheme, launcher errors): EPIPE here is expected.
    });
    child.stdin.end(options.stdin);

    child.on('error', (error) => {
      timers.forEach(clearTimeout);
      if (!options.keepDirs) rmSync(dirs.root, { recursive: true, force: true });
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      sampleRss();
      timers.forEach(clearTimeout);
      if (!options.keepDirs) rmSync(dirs.root, { recursive: true, force: true });
      const durationMs = performance.now() - started;
      const stderrText = Buffer.concat(stderr).toString('utf8');
      if (timedOut) {
        reject(new Error(`${name}.sh did not exit within ${options.timeoutMs ?? 60_000} ms; stderr:\n${stderrText}`));
        return;
      }
      let stderrLines: string[];
      try {
        stderrLines = checkStderr(stderrText, signal !== null);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      resolve({ exitCode, signal, stdout: Buffer.concat(stdout), stderrLines, durationMs, peakRssKb, dirs });
    });
  });
}

/** Splits stderr into lines and throws on one splunkd would log at ERROR for lack of a level word. */
function checkStderr(text: string, killed: boolean): string[] {
  const lines = text.split('\n');
  const tail = lines.pop();
  // A killed process may leave half a line; a process that exited normally must end every line.
  if (tail !== undefined && tail !== '' && !killed) lines.push(tail);
  for (const line of lines) {
    if (!LEVEL_LINE.test(line)) {
      throw new Error(
        `stderr line without a level word (splunkd would log it as ERROR): ${JSON.stringify(line)}\nfull stderr:\n${text}`,
      );
    }
  }
  return lines;
}

function prepareDirs(): ScriptResult['dirs'] {
  const root = mkdtempSync(join(tmpdir(), 'splunkd-harness-'));
  const dirs = { root, cwd: join(root, 'cwd'), home: join(root, 'home'), splunkHome: join(root, 'splunk') };
  for (const dir of [dirs.cwd, dirs.home, dirs.splunkHome]) mkdirSync(dir);
  writeFileSync(join(dirs.cwd, '.env'), HOSTILE_DOTENV);
  return dirs;
}

/** The peak resident set of a live process in kB (Linux VmHWM, which only grows); undefined once it is gone. */
export function readPeakRssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // the process is gone
  }
}
