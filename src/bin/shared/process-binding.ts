/**
 * What every entry point does with `process` (entry files are the only code that touches it; this folder is not an
 * entry itself: build.mjs bundles only the .ts files directly in src/bin).
 */

/** Calls `handler` once on the first stop signal: SIGTERM (splunkd on *nix), SIGINT, SIGBREAK (CTRL_BREAK on Windows). */
export function onStopSignal(handler: (signal: string) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGBREAK'] as const) process.once(signal, () => handler(signal));
}

/**
 * Sets the exit code from the work's result. Never process.exit(): on a pipe that would drop the tail of stdout and
 * stderr; the event loop drains them and the process ends by itself.
 */
export function exitWhenDone(work: Promise<number>): void {
  work.then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`FATAL Unexpected failure: ${String((error as Error)?.stack ?? error).replace(/\s*\n\s*/g, ' | ')}\n`);
      process.exitCode = 1;
    },
  );
}
