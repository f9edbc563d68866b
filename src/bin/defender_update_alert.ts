/**
 * Entry point of the `defender_update_alert` alert action (splunk-modinput.md §10): the only file that touches `process`.
 * It sets process.exitCode rather than calling process.exit, so stderr is drained before the process ends.
 */
import { runActionProcess } from '../actions/main.js';
import { updateAlertAction } from '../actions/update-alert-action.js';

runActionProcess(updateAlertAction, {
  argv: process.argv.slice(2),
  scriptPath: process.argv[1] ?? '.',
  stdin: process.stdin,
  stderr: process.stderr,
  onStop(handler) {
    process.once('SIGTERM', () => handler('SIGTERM'));
    process.once('SIGINT', () => handler('SIGINT'));
    // Windows: splunkd sends CTRL_BREAK.
    process.once('SIGBREAK', () => handler('SIGBREAK'));
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`FATAL Unexpected failure: ${String((error as Error)?.stack ?? error).replace(/\s*\n\s*/g, ' | ')}\n`);
    process.exitCode = 1;
  },
);
