/**
 * Entry point of the `defender_alerts` modular input: the only file that touches `process`. It binds the real
 * streams, signals and clock, then hands over to the protocol runner; it never calls process.exit (that would drop
 * the tail of stdout on a pipe) but sets process.exitCode and lets the event loop drain.
 */
import { dirname, resolve } from 'node:path';
import { loadAppSettings } from '../composition/app-settings.js';
import { createInputHandlers, inputSettingsFrom } from '../inputs/alerts/alerts-input.js';
import { createLogger } from '../modinput/logger.js';
import { runModularInput } from '../modinput/script.js';
import { systemClock } from '../toolkit/clock.js';
import { exitWhenDone, onStopSignal } from './shared/process-binding.js';

async function main(): Promise<number> {
  // bin/lib/defender_alerts.cjs → the app folder is two levels up.
  const appDir = resolve(dirname(process.argv[1] ?? '.'), '..', '..');
  const { settings, warnings } = loadAppSettings(appDir);
  const log = createLogger(process.stderr, { level: settings.logLevel });
  for (const warning of warnings) log.warn(warning, { action: 'settings_warning' });

  const controller = new AbortController();
  const stop = (signal: string) => {
    log.info('Stop requested; finishing the current event and saving progress', { action: 'stop', signal });
    controller.abort();
  };
  onStopSignal(stop);

  const handlers = createInputHandlers({
    settings: inputSettingsFrom(settings),
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

exitWhenDone(main());
