/**
 * Entry point of the `defender_alerts` modular input (with bin/shared/process-binding.ts, the only code that touches
 * `process`). It binds the real streams, signals and clock, then hands over to the protocol runner; it never calls
 * process.exit (that would drop the tail of stdout on a pipe) but sets process.exitCode and lets the event loop drain.
 */
import { createInputHandlers, inputSettingsFrom } from '../inputs/alerts/alerts-input.js';
import { systemClock } from '../toolkit/clock.js';
import { exitWhenDone, runInputProcess } from './shared/process-binding.js';

exitWhenDone(
  runInputProcess('Stop requested; finishing the current event and saving progress', (settings, signal) =>
    createInputHandlers({ settings: inputSettingsFrom(settings), clock: systemClock, signal }),
  ),
);
