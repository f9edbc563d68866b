/**
 * The emulator in a process of its own for the latency benchmark (bench/latency.ts): like emulator-process.ts, plus
 * the latency model and the documented quotas switched on and off between runs.
 *
 *   tsx bench/lib/latency-emulator.ts '{"api":"graph","count":300000,"days":30,"apps":1}'
 *
 * Prints one JSON line (EmulatorReady) when ready, then obeys lines on stdin, answering one JSON line each:
 *   latency <json>   set the latency model ({} for none), e.g. {"graph":{"ttfbMs":1000,"bytesPerSecond":20000000}}
 *   quotas on|off    the documented per-app quotas (429 + Retry-After) on or off; also forgets past requests
 *   throttled        {"graph-alerts": n, …}: 429s answered for exceeded quotas since the start
 *   timeline         {"arrivals": [s, …]}: arrival times (seconds after the first) of the api requests since the last
 *                    `latency` command, to see where a run's time went (ramp, steady pace, tail)
 *   quit             close and exit (so does the end of stdin)
 */
import { createInterface } from 'node:readline';
import { startEmulator } from '../../test/emulator/emulator.js';
import { loadGeneratedAlerts } from '../../test/emulator/generator.js';
import { benchApp, type EmulatorReady, type EmulatorRequest } from './emulator-protocol.js';

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as EmulatorRequest;
  const emu = await startEmulator({ rateLimits: false });
  const roles = ['SecurityAlert.Read.All', 'SecurityIncident.Read.All', 'Alert.Read.All'];
  for (let i = 0; i < request.apps; i++) emu.addApp({ ...benchApp(i), roles });
  const started = performance.now();
  const to = Date.now() - 60_000;
  const loaded = loadGeneratedAlerts(emu.store, request.api, {
    count: request.count,
    seed: 42,
    from: to - request.days * 86_400_000,
    to,
    hostileEvery: 500,
    // Incidents carry real-shaped alerts (the templates are alerts only).
    ...(request.api === 'incidents' ? { approxBytes: 1500 } : { shape: 'template' as const }),
  });
  const ready: EmulatorReady = {
    urls: emu.urls,
    caFile: emu.caFile,
    loaded,
    loadSeconds: (performance.now() - started) / 1000,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  let runStart = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    const space = line.indexOf(' ');
    const command = space < 0 ? line.trim() : line.slice(0, space);
    const arg = space < 0 ? '' : line.slice(space + 1).trim();
    if (command === 'latency') {
      runStart = emu.requests.length;
      emu.setLatency(JSON.parse(arg || '{}'));
      process.stdout.write('{"ok":true}\n');
    } else if (command === 'quotas') {
      emu.setRateLimits(arg === 'on' ? {} : false);
      process.stdout.write('{"ok":true}\n');
    } else if (command === 'throttled') {
      process.stdout.write(`${JSON.stringify(emu.throttled())}\n`);
    } else if (command === 'timeline') {
      const arrivals = emu.requests
        .slice(runStart)
        .filter((r) => r.service !== 'login')
        .map((r) => r.arrivedMs);
      const first = arrivals[0] ?? 0;
      process.stdout.write(`${JSON.stringify({ arrivals: arrivals.map((t) => (t - first) / 1000) })}\n`);
    } else if (command === 'quit') {
      break;
    }
  }
  await emu.close();
  process.stdin.destroy();
}

await main();
