/**
 * The fleet benchmark's other side (bench/fleet.ts): every stanza of the input XML on stdin run in ONE process, all
 * started together, through the app's own composition (createInputHandlers → alerts-stanza-runner → collectAlerts, the
 * real adapters), their events through one XmlEventWriter on stdout. It is what `use_single_instance = true` with
 * stanzas run side by side would cost; the shipped input runs one process per stanza.
 *
 *   node fleet-driver.cjs <appDir>    (bundled by bench/fleet.ts; reads the app's settings from <appDir>)
 */
import { loadAppSettings } from '../../src/composition/app-settings.js';
import { createInputHandlers, inputSettingsFrom } from '../../src/inputs/alerts/alerts-input.js';
import { XmlEventWriter } from '../../src/modinput/event-writer.js';
import { parseInputDefinition } from '../../src/modinput/input-definition.js';
import { createLogger } from '../../src/modinput/logger.js';
import { systemClock } from '../../src/toolkit/clock.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<number> {
  const appDir = process.argv[2] ?? '.';
  const definition = parseInputDefinition(await readStdin());
  const { settings } = loadAppSettings(appDir);
  const log = createLogger(process.stderr, { level: settings.logLevel });
  const handlers = createInputHandlers({
    settings: inputSettingsFrom(settings),
    clock: systemClock,
    signal: new AbortController().signal,
  });
  const writer = new XmlEventWriter(process.stdout);
  const codes = await Promise.all(
    definition.stanzas.map((stanza) => handlers.stream({ ...definition, stanzas: [stanza] }, writer, log)),
  );
  await writer.close();
  return codes.some((code) => code !== 0) ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`FATAL fleet driver: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
