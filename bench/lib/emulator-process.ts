/**
 * The emulator in a process of its own, so that serving a million alerts does not share a CPU thread with the
 * benchmark's measuring (on a 2-core machine, each process gets a core only if nothing else is busy: see RESULTS.md).
 *
 *   tsx bench/lib/emulator-process.ts '{"api":"graph","count":100000,"days":30,"apps":1}'
 *
 * Prints one JSON line (EmulatorReady) when ready, then obeys lines on stdin:
 *   capture <dir>   write each list response body, exactly as sent, to <dir>/<seq>.json (seq in request order)
 *   capture off     stop writing
 *   served          print {"distinct": n, "total": n}: versions served by list responses delivered whole
 *   quit            close and exit (so does the end of stdin)
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startEmulator, type RequestRecord } from '../../test/emulator/emulator.js';
import { loadGeneratedAlerts } from '../../test/emulator/generator.js';
import { benchApp, type EmulatorReady, type EmulatorRequest } from './emulator-protocol.js';

const LIST_PATHS = /\/(alerts|alerts_v2)$/i;

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as EmulatorRequest;
  let captureDir: string | undefined;
  let seq = 0;
  const open = new Set<WriteStream>();
  const tapBody = (record: RequestRecord): ((chunk: Buffer) => void) | undefined => {
    if (captureDir === undefined || record.method !== 'GET' || !LIST_PATHS.test(record.path)) return undefined;
    const file = createWriteStream(join(captureDir, `${String(seq++).padStart(6, '0')}.json`));
    open.add(file);
    return (chunk) => file.write(chunk);
  };

  const emu = await startEmulator({ rateLimits: false, tapBody });
  const roles = ['SecurityAlert.Read.All', 'Alert.Read.All', 'SecurityIncident.Read.All'];
  for (let i = 0; i < request.apps; i++) emu.addApp({ ...benchApp(i), roles });
  const started = performance.now();
  const to = Date.now() - 60_000;
  // The fixture-template items the numbers in bench/RESULTS.md were measured with (about 1.5 KB each).
  let loaded = 0;
  for (const api of [request.api, ...(request.also ?? [])]) {
    loaded += loadGeneratedAlerts(emu.store, api, {
      count: request.count,
      seed: 42,
      from: to - request.days * 86_400_000,
      to,
      hostileEvery: 500,
      shape: 'template',
    });
  }
  const ready: EmulatorReady = {
    urls: emu.urls,
    caFile: emu.caFile,
    loaded,
    loadSeconds: (performance.now() - started) / 1000,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);

  const closeFiles = async (): Promise<void> => {
    await Promise.all([...open].map((f) => new Promise<void>((resolve) => f.end(resolve))));
    open.clear();
  };
  const quit = async (): Promise<void> => {
    await closeFiles();
    await emu.close();
    process.exitCode = 0;
    process.stdin.destroy();
  };
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [command, arg] = line.trim().split(/\s+/, 2);
    if (command === 'capture') {
      await closeFiles();
      captureDir = arg === 'off' ? undefined : arg;
      seq = 0;
      process.stdout.write('{"ok":true}\n');
    } else if (command === 'served') {
      await closeFiles();
      const versions = emu.served(request.api);
      const total = versions.reduce((n, v) => n + v.count, 0);
      process.stdout.write(`${JSON.stringify({ distinct: versions.length, total })}\n`);
    } else if (command === 'quit') {
      break;
    }
  }
  await quit();
}

await main();
