/**
 * Entry point of the `defender_update_incident` alert action: the only file that touches `process`.
 * It sets process.exitCode rather than calling process.exit, so stderr is drained before the process ends.
 */
import { runActionProcess } from '../composition/action-process.js';
import { exitWhenDone, onStopSignal } from './shared/process-binding.js';
import { updateIncidentAction } from '../actions/update-incident/update-incident-action.js';

exitWhenDone(
  runActionProcess(updateIncidentAction, {
    argv: process.argv.slice(2),
    scriptPath: process.argv[1] ?? '.',
    stdin: process.stdin,
    stderr: process.stderr,
    onStop: onStopSignal,
  }),
);
