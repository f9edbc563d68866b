/**
 * Runs the test Event Hubs broker by hand (or as the benchmark's broker process):
 *
 *   npx tsx test/eventhubs/cli.ts [--port 5672] [--hub defender] [--partitions 4] [--fill N] [--size 1024]
 *                                 [--records-per-message 1] [--tls --namespace contoso.servicebus.windows.net] [--json]
 *
 * `--fill N` publishes N Defender-shaped messages (`{"records":[…]}`, about `--size` bytes each) round-robin over the
 * partitions before it reports ready. Prints the connection string (and, with --tls, the custom endpoint and CA
 * file) or, with --json, one JSON line for a parent process. Runs until Ctrl-C or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { testTls } from '../helpers/tls.js';
import { startEventHubsBroker } from './broker.js';

export interface BrokerReady {
  connectionString: string;
  customEndpointAddress: string;
  caFile?: string;
  port: number;
  filled: number;
  fillSeconds: number;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: tsx test/eventhubs/cli.ts [--port N] [--hub NAME] [--partitions N] [--fill N] [--size BYTES] [--tls] [--namespace FQDN] [--json]\n`,
  );
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    hub: { type: 'string', default: 'defender' },
    partitions: { type: 'string', default: '4' },
    fill: { type: 'string', default: '0' },
    size: { type: 'string', default: '1024' },
    'records-per-message': { type: 'string', default: '1' },
    tls: { type: 'boolean', default: false },
    namespace: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) usage('Starts the test Event Hubs broker.');
const partitions = Number(values.partitions);
const fill = Number(values.fill);
const size = Number(values.size);
const port = values.port === undefined ? 0 : Number(values.port);
const perMessage = Number(values['records-per-message']);
if (!(Number.isInteger(perMessage) && perMessage >= 1))
  usage(`--records-per-message must be a whole number of at least 1, not '${values['records-per-message']}'`);
if (!(Number.isInteger(partitions) && partitions >= 1))
  usage(`--partitions must be a whole number of at least 1, not '${values.partitions}'`);
if (!(Number.isInteger(fill) && fill >= 0)) usage(`--fill must be a whole number, not '${values.fill}'`);
if (!(Number.isInteger(size) && size >= 64))
  usage(`--size must be a whole number of at least 64 bytes, not '${values.size}'`);
if (!(Number.isInteger(port) && port >= 0 && port < 65536)) usage(`--port must be a TCP port, not '${values.port}'`);

const broker = await startEventHubsBroker({
  port,
  tls: values.tls,
  hubs: [{ name: values.hub, partitionCount: partitions }],
  ...(values.namespace ? { namespace: values.namespace } : {}),
});

/**
 * A Defender streaming message of `perMessage` records of about `bytes` bytes each (properties padded); with one
 * record, the message itself is about `bytes` bytes.
 */
function message(i: number, bytes: number): string {
  const records = Array.from({ length: perMessage }, (_, r) => {
    const record = {
      time: new Date().toISOString(),
      tenantId: '7f3e2d1c-0b9a-4877-8665-544332211000',
      operationName: 'Publish',
      category: i % 2 ? 'AdvancedHunting-DeviceProcessEvents' : 'AdvancedHunting-DeviceNetworkEvents',
      properties: {
        Timestamp: new Date().toISOString(),
        DeviceName: `host-${i % 500}`,
        ReportId: i * perMessage + r,
        Pad: '',
      },
    };
    record.properties.Pad = 'x'.repeat(
      Math.max(0, bytes - JSON.stringify(record).length - (perMessage === 1 ? 13 : 1)),
    );
    return record;
  });
  return JSON.stringify({ records });
}

const started = process.hrtime.bigint();
for (let i = 0; i < fill; i++) broker.publish(values.hub, String(i % partitions), message(i, size));
const ready: BrokerReady = {
  connectionString: broker.connectionString(values.hub),
  customEndpointAddress: broker.customEndpointAddress,
  ...(values.tls ? { caFile: testTls().caFile } : {}),
  port: broker.port,
  filled: fill,
  fillSeconds: Number(process.hrtime.bigint() - started) / 1e9,
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(ready)}\n`);
} else {
  process.stdout.write(
    [
      'Event Hubs test broker running (Ctrl-C to stop)',
      `  connection string  ${ready.connectionString}`,
      ...(values.tls
        ? [
            `  customEndpointAddress  ${ready.customEndpointAddress}`,
            `  CA file  ${ready.caFile}   (export NODE_EXTRA_CA_CERTS=${ready.caFile})`,
          ]
        : []),
      `  hub ${values.hub}: ${partitions} partitions, ${fill} messages of ~${size} bytes`,
      '',
    ].join('\n'),
  );
}

const stop = (): void => {
  broker.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
