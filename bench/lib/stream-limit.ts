/**
 * The naive limit of the stream bench (bench/stream.ts): the same messages received with the same SDK and options as
 * the input, each body JSON.parse'd, its records split and re-serialised with JSON.stringify, and written as the
 * modular-input XML to stdout. No checkpoint, no exact record text, no backpressure handling, no checks: what a
 * minimal consumer costs. Run as `tsx bench/lib/stream-limit.ts <connection string> <records>`; exits when done.
 */
import { EventHubConsumerClient, earliestEventPosition } from '@azure/event-hubs';

const [connectionString, total] = [process.argv[2]!, Number(process.argv[3])];
const client = new EventHubConsumerClient('$Default', connectionString);
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
let written = 0;
let pending: string[] = [];
process.stdout.write('<stream>');
const subscription = client.subscribe(
  {
    processEvents: async (events) => {
      for (const event of events) {
        const body = JSON.parse(Buffer.from(event.body as Uint8Array).toString('utf8')) as { records: unknown[] };
        for (const record of body.records) {
          pending.push(
            `<event stanza="defender_stream://limit" unbroken="1"><sourcetype>ms:defender:eventhub</sourcetype><data>${escape(JSON.stringify(record))}</data><done/></event>`,
          );
          written++;
        }
      }
      const chunk = pending.join('');
      pending = [];
      if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      if (written >= total) {
        process.stdout.write('</stream>\n', () => process.exit(0));
      }
    },
    processError: async () => {},
  },
  {
    startPosition: earliestEventPosition,
    maxBatchSize: 1000,
    maxWaitTimeInSeconds: 1,
    prefetchCount: 2000,
    skipParsingBodyAsJson: true,
  },
);
void subscription;
