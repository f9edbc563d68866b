/**
 * What both alert-action entry files do with the process they are given: read the app settings, build the stderr
 * logger and the real services, stop on SIGTERM, and run the action. Kept here so each entry file stays a few lines.
 */
import { dirname, resolve } from 'node:path';
import { loadAppSettings } from './app-settings.js';
import { systemClock } from '../toolkit/clock.js';
import { createLogger, type LineOutput } from '../modinput/logger.js';
import { createActionServices } from './action-services.js';
import { runAlertAction, type AlertActionDefinition } from '../actions/protocol/run-action.js';

/** The parts of `process` an action uses, handed over by the entry file (the only code that touches `process`). */
export interface ActionProcess {
  argv: readonly string[];
  /** Path of the running bundle (`bin/lib/<name>.js`), to find the app folder. */
  scriptPath: string;
  stdin: AsyncIterable<Buffer | string>;
  stderr: LineOutput;
  /** Registers a stop request handler (SIGTERM from splunkd at maxtime). */
  onStop(handler: (signal: string) => void): void;
}

/** Runs the action and resolves with the exit code. */
export async function runActionProcess(action: AlertActionDefinition, proc: ActionProcess): Promise<number> {
  // bin/lib/<name>.js → the app folder is two levels up.
  const appDir = resolve(dirname(proc.scriptPath), '..', '..');
  const { settings, warnings } = loadAppSettings(appDir);
  const log = createLogger(proc.stderr, { level: settings.logLevel, context: { alert_action: action.name } });
  for (const warning of warnings) log.warn(warning, { action: 'settings_warning' });
  const controller = new AbortController();
  proc.onStop((signal) => {
    log.warn('Stop requested (maxtime reached?); recording the outcomes known so far', { action: 'stop', signal });
    controller.abort();
  });
  const services = createActionServices({ settings, log, clock: systemClock });
  return runAlertAction(
    action,
    { argv: proc.argv, stdin: proc.stdin, log, clock: systemClock, signal: controller.signal },
    services,
  );
}
