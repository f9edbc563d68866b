/**
 * `npm run demo`: the main job end to end on a machine with no Splunk and no Microsoft tenant. It runs the BUILT app
 * (dist/TA-microsoft-defender, with its bundled Node.js) exactly as splunkd runs a modular input — launcher, input XML
 * on stdin, XML event stream on stdout, checkpoint under checkpoint_dir — against the built-in emulator of Entra ID,
 * Microsoft Graph, Defender for Endpoint and the SIEM exporter, and a stand-in for splunkd's REST API.
 *
 *   npm run demo [-- --alerts 2000]
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateAlerts } from './emulator/generator.js';
import { startEmulator } from './emulator/emulator.js';
import { startFakeSplunkd } from './harness/fake-splunkd.js';
import { buildInputXml } from './harness/input-xml.js';
import { runInput, type InputResult } from './harness/splunkd-harness.js';
import { REPO_ROOT } from './helpers/built-app.js';
import { demoStream } from './demo-stream.js';

const args = process.argv.slice(2);
const count = Number(args[args.indexOf('--alerts') + 1]) || 2000;
const appDir = resolve(process.env.TA_DEMO_APP_DIR ?? join(REPO_ROOT, 'dist', 'TA-microsoft-defender'));
const TENANT = 'contoso.onmicrosoft.com';
const CLIENT = '6f0e2a7c-1d4b-4c8e-9a3f-2b5d7e9f1a3c';
const SECRET = 'demo~Secret.Value-0123456789abcdefghijkl';
const SESSION_KEY = 'demo-session-key-from-splunkd';
type Api = 'graph' | 'mde' | 'siem';
const ID_FIELD: Record<Api, string> = { graph: 'id', mde: 'id', siem: 'FullId' };

const line = (text = '') => process.stdout.write(`${text}\n`);

async function main(): Promise<void> {
  const emu = await startEmulator({ rateLimits: false });
  emu.addApp({
    tenantId: TENANT,
    clientId: CLIENT,
    secret: SECRET,
    roles: ['SecurityAlert.Read.All', 'Alert.Read.All'],
  });
  const splunkd = await startFakeSplunkd({ sessionKey: SESSION_KEY });
  const checkpointDir = mkdtempSync(join(tmpdir(), 'ta-defender-demo-checkpoints-'));
  line(`App under test:   ${appDir}`);
  line(
    `Emulator:         login ${emu.urls.login}  graph ${emu.urls.graph}  mde ${emu.urls.mde}  siem ${emu.urls.siem}`,
  );
  line(`splunkd REST:     ${splunkd.uri} (stand-in for storage/passwords and data/inputs)`);
  line(`checkpoint_dir:   ${checkpointDir}`);
  try {
    for (const api of ['graph', 'mde', 'siem'] as const) {
      const now = Date.now();
      emu.store.addAlerts(
        api,
        generateAlerts(api, {
          count,
          seed: 42,
          from: now - 3 * 86_400_000,
          to: now - 30_000,
          tieGroups: Math.ceil(count / 20),
          hostileEvery: 100,
        }),
      );
      line();
      line(`=== api=${api}: the emulator holds ${count} alert versions from the last 3 days ===`);
      const stanza = (secret: string) =>
        buildInputXml({
          serverUri: splunkd.uri,
          sessionKey: SESSION_KEY,
          checkpointDir,
          stanzas: [
            {
              name: `defender_alerts://demo_${api}`,
              params: {
                tenant_id: TENANT,
                client_id: CLIENT,
                client_secret: secret,
                api,
                ...(api === 'siem' ? { region: 'eu' } : {}),
                api_url: emu.urls[api],
                login_url: emu.urls.login,
                start_time: '-7d',
                overlap_seconds: '300',
              },
            },
          ],
        });
      const env = { NODE_EXTRA_CA_CERTS: emu.caFile };
      const first = await runInput({ appDir, stdin: stanza(SECRET), env, timeoutMs: 300_000 });
      report('run 1 (backfill)', first);
      const sample = first.events[0];
      if (sample) {
        line(
          `  first event: <time>${sample.time}</time> <sourcetype>${sample.sourcetype}</sourcetype> <data>${sample.data.slice(0, 150)}…`,
        );
      }
      const stored = [...splunkd.passwords.values()].find((p) => p.username === `demo_${api}`);
      const masked = splunkd.inputUpdates.find((u) => u.name === `demo_${api}`);
      line(
        `  secret: stored in storage/passwords (realm ${stored?.realm}) = ${stored ? 'yes' : 'no'}; stanza client_secret now ${masked?.params.client_secret ?? '(unchanged)'}`,
      );

      // Analysts work on some alerts in Defender (new versions), and new alerts arrive.
      const ids = emu.store.all(api).map((item) => String(item[ID_FIELD[api]]));
      for (const id of ids.slice(0, 10))
        emu.store.updateAlert(
          api,
          id,
          api === 'graph' ? { status: 'resolved' } : api === 'mde' ? { status: 'Resolved' } : {},
        );
      emu.store.addAlerts(
        api,
        generateAlerts(api, { count: 5, seed: 43, from: Date.now() - 20_000, to: Date.now() - 1_000 }),
      );
      const second = await runInput({ appDir, stdin: stanza('<encrypted>'), env, timeoutMs: 300_000 });
      report('run 2 (10 updated + 5 new)', second);
      const third = await runInput({ appDir, stdin: stanza('<encrypted>'), env, timeoutMs: 300_000 });
      report('run 3 (nothing new)', third);

      const emitted = [first, second, third].flatMap((r) => r.events.map((e) => e.data));
      const unique = new Set(
        emitted.map((d) => {
          const o = JSON.parse(d);
          return `${o[ID_FIELD[api]]}@${o[api === 'graph' ? 'lastUpdateDateTime' : api === 'mde' ? 'lastUpdateTime' : 'LastProcessedTimeUtc']}`;
        }),
      );
      line(
        `  total: ${emitted.length} events, ${unique.size} distinct alert versions, versions served by the API: ${emu.served(api).length}`,
      );
      const file = readdirSync(checkpointDir).find((f) => f.includes(`demo_${api}`));
      if (file) {
        const cp = JSON.parse(readFileSync(join(checkpointDir, file), 'utf8'));
        line(
          `  checkpoint ${file}: {"v":${cp.v},"watermark":"${cp.watermark}","n_seen":${cp.n_seen},"saved_at":"${cp.saved_at}"}`,
        );
      }
    }
  } finally {
    await emu.close();
    await splunkd.close();
  }
  await demoStream(appDir, line);
}

function report(label: string, run: InputResult): void {
  const seconds = run.durationMs / 1000;
  line(
    `  ${label}: exit ${run.exitCode}, ${run.events.length} events in ${seconds.toFixed(2)} s` +
      (run.events.length ? ` (${Math.round(run.events.length / seconds)} events/s)` : '') +
      `${run.peakRssKb ? `, peak RSS ${(run.peakRssKb / 1024).toFixed(0)} MB` : ''}, stream closed: ${run.closed}`,
  );
  for (const l of run.stderrLines) if (/action=run_end|^(WARN|ERROR|FATAL)/.test(l)) line(`    stderr: ${l}`);
}

main().catch((error) => {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
