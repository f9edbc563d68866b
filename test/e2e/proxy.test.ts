/**
 * proxy_url through the BUILT input, with the wiring production uses (the stanza's proxy_url, the app's settings): the
 * token call and the API calls tunnel through one CONNECT proxy, and a proxy that refuses the credentials (HTTP 407)
 * is named as such at once, without retries and without the password.
 */
import { expect } from 'chai';
import { generateAlerts } from '../emulator/generator.js';
import { startConnectProxy, type LocalProxy } from '../helpers/local-https.js';
import { assertNoSecrets, newCheckpointDir, runStanza, startE2e, type E2e } from './context.js';

const PROXY_PASSWORD = 'Pr0xy~Pass-DoNotLog';
const WRONG_PASSWORD = 'Wr0ng~Pr0xy-DoNotLog';

describe('defender_alerts through a proxy (built app, production wiring)', function () {
  this.timeout(120_000);
  let e2e: E2e;
  let proxy: LocalProxy;
  before(async () => {
    e2e = await startE2e();
    proxy = await startConnectProxy({ user: 'svc', pass: PROXY_PASSWORD });
  });
  after(async () => {
    await proxy?.close();
    await e2e?.close();
  });

  it('tunnels the token and the API calls through proxy_url and never logs its password', async () => {
    e2e.emu.store.addAlerts(
      'graph',
      generateAlerts('graph', { count: 20, seed: 3, from: Date.now() - 3_600_000, to: Date.now() - 60_000 }),
    );
    const run = await runStanza(e2e, {
      name: 'via_proxy',
      api: 'graph',
      checkpointDir: newCheckpointDir(),
      params: { proxy_url: proxy.url },
    });
    expect(run.exitCode, run.stderrLines.join('\n')).to.equal(0);
    expect(run.events).to.have.length(20);
    const hosts = [new URL(e2e.emu.urls.login).host, new URL(e2e.emu.urls.graph).host];
    for (const host of hosts) expect(proxy.tunnels, host).to.include(host);
    const stderr = run.stderrLines.join('\n');
    expect(stderr).not.to.include(PROXY_PASSWORD);
    assertNoSecrets(stderr);
  });

  it('names the proxy credentials when the proxy answers 407, at once and without the password', async () => {
    const refusedBefore = proxy.refused;
    const wrong = proxy.url.replace(encodeURIComponent(PROXY_PASSWORD), encodeURIComponent(WRONG_PASSWORD));
    const run = await runStanza(e2e, {
      name: 'wrong_proxy_pass',
      api: 'graph',
      checkpointDir: newCheckpointDir(),
      params: { proxy_url: wrong },
    });
    const stderr = run.stderrLines.join('\n');
    expect(run.exitCode, stderr).to.equal(1);
    const runEnd = run.stderrLines.find((l) => l.includes('action=run_end'));
    expect(runEnd, stderr).to.match(/^ERROR /);
    expect(runEnd).to.include('407').and.include('user and password in proxy_url');
    expect(runEnd).not.to.match(/Check DNS, the firewall/);
    // A refusal is not retried: one CONNECT was refused, and no retry was logged.
    expect(proxy.refused - refusedBefore).to.equal(1);
    expect(stderr).not.to.match(/action=retry/);
    expect(stderr).not.to.include(WRONG_PASSWORD);
    expect(stderr).not.to.include(encodeURIComponent(WRONG_PASSWORD));
    assertNoSecrets(stderr);
  });
});
