/**
 * What every entry point does with `process` (entry files are the only code that touches it; this folder is not an
 * entry itself: build.mjs bundles only the .ts files directly in src/bin).
 */
import { dirname, resolve } from 'node:path';
import { loadAppSettings } from '../../composition/app-settings.js';
import type { AppSettings } from '../../config/app-settings.js';
import { createLogger } from '../../modinput/logger.js';
import { runModularInput, type ModularInputHandlers } from '../../modinput/script.js';
import { describeError } from '../../toolkit/error-info.js';

/** The app's folder: every entry runs as bin/lib/<name>.cjs, two levels below it. */
export function appFolder(): string {
  return resolve(dirname(process.argv[1] ?? '.'), '..', '..');
}

/**
 * A modular input's process: the app's settings, the logger on stderr, a stop signal that aborts the run after
 * logging `stopMessage`, then the protocol runner on the real streams. Resolves with the exit code; async, so that a
 * failure to read the settings rejects (exitWhenDone reports it) instead of throwing past the entry.
 */
export async function runInputProcess(
  stopMessage: string,
  createHandlers: (settings: AppSettings, signal: AbortSignal) => ModularInputHandlers,
): Promise<number> {
  const { settings, warnings } = loadAppSettings(appFolder());
  const log = createLogger(process.stderr, { level: settings.logLevel });
  for (const warning of warnings) log.warn(warning, { action: 'settings_warning' });

  const controller = new AbortController();
  onStopSignal((signal) => {
    log.info(stopMessage, { action: 'stop', signal });
    controller.abort();
  });
  return runModularInput(
    process.argv.slice(2),
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    createHandlers(settings, controller.signal),
    { log },
  );
}

/**
 * Calls `handler` once on the first stop signal: SIGTERM (splunkd on *nix), SIGINT, SIGBREAK (CTRL_BREAK on Windows).
 */
export function onStopSignal(handler: (signal: string) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGBREAK'] as const) process.once(signal, () => handler(signal));
}

/**
 * Sets the exit code from the work's result. Never process.exit(): on a pipe that would drop the tail of stdout and
 * stderr; the event loop drains them and the process ends by itself.
 */
export function exitWhenDone(work: Promise<number>): void {
  let settled = false;
  // The event loop ran dry while the work was still waiting: a promise nobody will ever settle. Node would exit 0
  // with nothing saved; say so and fail instead, so splunkd.log shows it and the next run starts from the checkpoint.
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write(
      'FATAL The run stopped making progress (it waited on something that can never happen); nothing after the last saved checkpoint is lost. Please report this. status=error error=stalled\n',
    );
    process.exitCode = 1;
  });
  work.then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (error: unknown) => {
      settled = true;
      process.stderr.write(`FATAL Unexpected failure: ${describeError(error)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Like exitWhenDone, then ends the process once stdout and stderr took the last bytes: for entries whose libraries
 * may keep the event loop alive after they were closed (the Event Hubs client can, after refused token renewals).
 * By then the protocol runner has written `</stream>` and seen its write callback.
 */
export function exitExplicitlyWhenDone(work: Promise<number>): void {
  const end = (code: number) => {
    process.exitCode = code;
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  };
  work.then(end, (error: unknown) => {
    process.stderr.write(`FATAL Unexpected failure: ${describeError(error)}\n`);
    end(1);
  });
}
