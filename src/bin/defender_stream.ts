/**
 * Entry point of the `defender_stream` modular input: the only file of it that touches `process`. A run is one
 * long-running process per stanza: splunkd starts it again `interval` seconds after it ends. SIGTERM finishes the
 * batch in hand, flushes, saves the checkpoint, writes `</stream>` and exits 0.
 */
import { dirname, resolve } from 'node:path';
import { loadAppSettings } from '../composition/app-settings.js';
import { createStreamHandlers, streamSettingsFrom } from '../inputs/stream/stream-input.js';
import { createLogger } from '../modinput/logger.js';
import { runModularInput } from '../modinput/script.js';
import { systemClock } from '../toolkit/clock.js';
import { exitExplicitlyWhenDone, onStopSignal } from './shared/process-binding.js';

async function main(): Promise<number> {
  // bin/lib/defender_stream.cjs → the app folder is two levels up.
  const appDir = resolve(dirname(process.argv[1] ?? '.'), '..', '..');
  const { settings, warnings } = loadAppSettings(appDir);
  const log = createLogger(process.stderr, { level: settings.logLevel });
  for (const warning of warnings) log.warn(warning, { action: 'settings_warning' });

  const controller = new AbortController();
  onStopSignal((signal) => {
    log.info('Stop requested; finishing the batch in hand and saving progress', { action: 'stop', signal });
    controller.abort();
  });
  const handlers = createStreamHandlers({
    settings: streamSettingsFrom(settings),
    clock: systemClock,
    signal: controller.signal,
  });
  return runModularInput(
    process.argv.slice(2),
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    handlers,
    { log },
  );
}

exitExplicitlyWhenDone(main());
