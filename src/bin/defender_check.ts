/**
 * Entry point of the account check REST endpoint (restmap.conf [script:ta_microsoft_defender_account_check]): splunkd
 * starts bin/defender_check.sh as a persistent driver (`scripttype = persist`, `driver = …`) and exchanges request and
 * reply packets with it on stdin/stdout (rest/persist-protocol.ts). The only file of the check that touches `process`.
 * stdout carries replies only; log lines go to stderr, which splunkd writes to splunkd.log.
 */
import { dirname, resolve } from 'node:path';
import { readAppSettingsFiles } from '../adapters/app-settings-files.js';
import { createAccountCheckServices } from '../composition/account-check-services.js';
import { createLogger } from '../modinput/logger.js';
import { checkAccount } from '../rest/account-check.js';
import { servePersistentRequests } from '../rest/persist-server.js';
import { exitWhenDone } from './shared/process-binding.js';

async function main(): Promise<number> {
  // bin/lib/defender_check.cjs → the app folder is two levels up.
  const appDir = resolve(dirname(process.argv[1] ?? '.'), '..', '..');
  const log = createLogger(process.stderr, { level: readAppSettingsFiles(appDir).logLevel });
  const services = createAccountCheckServices({ readSettings: () => readAppSettingsFiles(appDir).app, log });
  // splunkd ends the driver by closing its stdin; SIGTERM ends the process as usual.
  await servePersistentRequests(process.stdin, process.stdout, (request) => checkAccount(request, services), log);
  return 0;
}

exitWhenDone(main());
