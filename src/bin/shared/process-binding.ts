/**
 * What every entry point does with `process` (entry files are the only code that touches it; this folder is not an
 * entry itself: build.mjs bundles only the .ts files directly in src/bin).
 */
import { describeError } from '../../toolkit/error-info.js';

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
