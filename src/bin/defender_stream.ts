/**
 * Entry point of the `defender_stream` modular input (with bin/shared/process-binding.ts, the only code that touches
 * `process`). A run is one long-running process per stanza: splunkd starts it again `interval` seconds after it ends.
 * SIGTERM finishes the batch in hand, flushes, saves the checkpoint, writes `</stream>` and exits 0.
 */
import { createStreamHandlers, streamSettingsFrom } from '../inputs/stream/stream-input.js';
import { systemClock } from '../toolkit/clock.js';
import { exitExplicitlyWhenDone, runInputProcess } from './shared/process-binding.js';

exitExplicitlyWhenDone(
  runInputProcess('Stop requested; finishing the batch in hand and saving progress', (settings, signal) =>
    createStreamHandlers({ settings: streamSettingsFrom(settings), clock: systemClock, signal }),
  ),
);
