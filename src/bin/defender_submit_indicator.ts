/**
 * Entry point of the `defender_submit_indicator` alert action: the only file that touches `process`.
 * It sets process.exitCode rather than calling process.exit, so stderr is drained before the process ends.
 */
import { runActionProcess } from '../composition/action-process.js';
import { exitWhenDone, onStopSignal } from './shared/process-binding.js';
import { submitIndicatorAction } from '../actions/submit-indicator/submit-indicator-action.js';

exitWhenDone(
  runActionProcess(submitIndicatorAction, {
    argv: process.argv.slice(2),
    scriptPath: process.argv[1] ?? '.',
    stdin: process.stdin,
    stderr: process.stderr,
    onStop: onStopSignal,
  }),
);
