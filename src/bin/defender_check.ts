/**
 * Entry point of the Configuration page's REST endpoints (restmap.conf [script:ta_microsoft_defender_account_check] and
 * [script:ta_microsoft_defender_secret]): splunkd starts bin/defender_check.sh as a persistent driver
 * (`scripttype = persist`, `driver = …`) and exchanges request and reply packets with it on stdin/stdout
 * (rest/persist-protocol.ts). The only file of these endpoints that touches `process`.
 * stdout carries replies only; log lines go to stderr, which splunkd writes to splunkd.log.
 */
import { loadAppSettings } from '../composition/app-settings.js';
import { createConfigEndpointServices } from '../composition/config-endpoint-services.js';
import { createLogger } from '../modinput/logger.js';
import { handleConfigRequest } from '../rest/config-endpoints.js';
import { servePersistentRequests } from '../rest/persist-server.js';
import { appFolder, exitWhenDone } from './shared/process-binding.js';

async function main(): Promise<number> {
  const appDir = appFolder();
  const log = createLogger(process.stderr, { level: loadAppSettings(appDir).settings.logLevel });
  const services = createConfigEndpointServices({ readSettings: () => loadAppSettings(appDir).settings, log });
  // splunkd ends the driver by closing its stdin; SIGTERM ends the process as usual.
  await servePersistentRequests(
    process.stdin,
    process.stdout,
    (request) => handleConfigRequest(request, services),
    log,
  );
  return 0;
}

exitWhenDone(main());
