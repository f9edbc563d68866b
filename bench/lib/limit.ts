/**
 * The limit: the least a program can do to turn the recorded response bytes into the same event stream. It reads the
 * bodies the emulator sent (bench/lib/emulator-process.ts `capture`) from files, JSON.parses each whole, and writes
 * each alert as an event with backpressure. No HTTP, no TLS, no checkpoint, no dedup, no checks: what is left is
 * JSON.parse + JSON.stringify + escaping + a pipe, the floor of any Node implementation of the input.
 *
 *   node limit.js <captureDir> <graph|mde|siem> <stanza>
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir = '.', api = 'graph', stanza = 'defender_alerts://limit'] = process.argv.slice(2);
const TIME_FIELD: Record<string, string> = {
  graph: 'lastUpdateDateTime',
  mde: 'lastUpdateTime',
  siem: 'LastProcessedTimeUtc',
};
const SOURCETYPE: Record<string, string> = {
  graph: 'ms:defender:graph:alerts',
  mde: 'ms:defender:atp:alerts',
  siem: 'ms:defender:siem:detections',
};
const timeField = TIME_FIELD[api]!;
const head = `<event stanza="${stanza}" unbroken="1"><time>`;
const middle = `</time><sourcetype>${SOURCETYPE[api]}</sourcetype><data>`;
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function main(): Promise<void> {
  const out = process.stdout;
  let pending: string[] = ['<stream>'];
  let size = 0;
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve));
  };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const body = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
    const alerts = (Array.isArray(body) ? body : (body as { value: unknown[] }).value) as Record<string, unknown>[];
    for (const alert of alerts) {
      const time = (Date.parse(String(alert[timeField])) / 1000).toFixed(3);
      const xml = `${head}${time}${middle}${escape(JSON.stringify(alert))}</data><done/></event>`;
      pending.push(xml);
      size += xml.length;
      if (size >= 65_536) {
        await write(pending.join(''));
        pending = [];
        size = 0;
      }
    }
  }
  pending.push('</stream>\n');
  await write(pending.join(''));
}

await main();
