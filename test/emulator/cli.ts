/**
 * Runs the emulator by hand, for the README demo and for poking at it with curl:
 *
 *   npx tsx test/emulator/cli.ts --api graph --alerts 500 [--seed 1] [--hours 24] [--port 8443]
 *   npx tsx test/emulator/cli.ts --latency graph:1000:20000000,mde:3000:20000000   # api:ttfb_ms[:bytes_per_s]
 *
 * Registers a demo app (fake credentials, every role), loads generated alerts whose last-update times span the last
 * `--hours` hours, prints what an input stanza needs, and runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { serviceOf, startEmulator, type AlertApi } from './emulator.js';
import { generateAlerts } from './generator.js';
import { parseLatency, type LatencyModel } from './latency.js';

const DEMO = {
  tenantId: '7f3e2d1c-0b9a-4877-8665-544332211000',
  clientId: 'c0ffee00-1234-4abc-8def-0123456789ab',
  // Not a real secret: the emulator accepts only this value for the demo app.
  secret: 'emulator-demo-secret~not-a-real-one',
};
const APIS: AlertApi[] = ['graph', 'mde', 'siem'];

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: tsx test/emulator/cli.ts [--api graph|mde|siem|all] [--alerts N] [--seed N] [--hours N] [--port N] [--no-rate-limits] [--latency api:ttfb_ms[:bytes_per_s],...] [--mde-next-link] [--token-lifetime S]\n`,
  );
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: 'graph' },
    alerts: { type: 'string', default: '500' },
    seed: { type: 'string', default: '1' },
    hours: { type: 'string', default: '24' },
    port: { type: 'string' },
    'no-rate-limits': { type: 'boolean', default: false },
    'mde-next-link': { type: 'boolean', default: false },
    latency: { type: 'string', default: '' },
    'token-lifetime': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) usage('Starts the Defender / Graph / Entra ID emulator.');
const apis = values.api === 'all' ? APIS : [values.api as AlertApi];
if (!apis.every((a) => APIS.includes(a))) usage(`--api must be graph, mde, siem or all, not '${values.api}'`);
const count = Number(values.alerts);
const seed = Number(values.seed);
const hours = Number(values.hours);
if (!Number.isInteger(count) || count < 0) usage(`--alerts must be a whole number, not '${values.alerts}'`);
if (!Number.isInteger(seed)) usage(`--seed must be a whole number, not '${values.seed}'`);
if (!(hours > 0)) usage(`--hours must be a positive number, not '${values.hours}'`);
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65533))
  usage(`--port must be a TCP port, not '${values.port}'`);

let latency: LatencyModel = {};
try {
  latency = parseLatency(values.latency);
} catch (error) {
  usage((error as Error).message);
}

const emu = await startEmulator({
  latency,
  rateLimits: values['no-rate-limits'] ? false : undefined,
  mdeNextLink: values['mde-next-link'],
  tokenLifetimeSeconds: values['token-lifetime'] === undefined ? undefined : Number(values['token-lifetime']),
  // --port P gives login P, graph P+1, mde P+2, siem P+3.
  ports: port === undefined ? undefined : { login: port, graph: port + 1, mde: port + 2, siem: port + 3 },
});
emu.addApp({
  ...DEMO,
  roles: ['SecurityAlert.ReadWrite.All', 'Alert.ReadWrite.All', 'Ti.ReadWrite.All'],
});
const to = Date.now();
for (const api of apis) {
  emu.store.addAlerts(api, generateAlerts(api, { count, seed, from: to - hours * 3_600_000, to, hostileEvery: 50 }));
}

const lines = [
  'Defender emulator running (Ctrl-C to stop)',
  `  tenant_id      ${DEMO.tenantId}`,
  `  client_id      ${DEMO.clientId}`,
  `  client_secret  ${DEMO.secret}   (fake: the emulator's demo app)`,
  `  CA file        ${emu.caFile}   (export NODE_EXTRA_CA_CERTS=${emu.caFile})`,
  `  login_url      ${emu.urls.login}`,
  `  graph api_url  ${emu.urls.graph}`,
  `  mde api_url    ${emu.urls.mde}`,
  `  siem api_url   ${emu.urls.siem}`,
  `  alerts         ${count} per api (${apis.join(', ')}), seed ${seed}, last ${hours} h`,
  '',
  'Example inputs.conf stanza:',
  `  [defender_alerts://emulator-${apis[0]}]`,
  `  tenant_id = ${DEMO.tenantId}`,
  `  client_id = ${DEMO.clientId}`,
  `  client_secret = ${DEMO.secret}`,
  `  api = ${apis[0]}`,
  ...(apis[0] === 'siem' ? ['  region = eu'] : []),
  `  api_url = ${emu.urls[serviceOf(apis[0]!)]}`,
  `  login_url = ${emu.urls.login}`,
  '  interval = 60',
];
process.stdout.write(`${lines.join('\n')}\n`);

const stop = (): void => {
  emu.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
