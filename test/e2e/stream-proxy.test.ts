/**
 * defender_stream through a proxy (built launcher): with proxy_url the input speaks AMQP over WebSockets (wss) through
 * a CONNECT proxy, to the test broker's WebSocket listener; the proxy's password never appears in the output, and a
 * proxy that refuses the credentials ends the run with one ERROR.
 */
import { expect } from 'chai';
import { startConnectProxy, type LocalProxy } from '../helpers/local-https.js';
import { testTls } from '../helpers/tls.js';
import {
  idsOf,
  newCheckpointDir,
  publishRecords,
  runStream,
  sasParams,
  startStreamE2e,
  type StreamE2e,
} from './stream-context.js';

const PROXY_PASSWORD = 'Pr0xy~Stream-DoNotLog';

describe('defender_stream through a proxy: AMQP over WebSockets (built app, test broker)', function () {
  this.timeout(120_000);
  let e2e: StreamE2e;
  let proxy: LocalProxy;
  before(async () => {
    e2e = await startStreamE2e({ tls: true, namespace: 'contoso-defender.servicebus.windows.net', webSocket: true });
    proxy = await startConnectProxy({ user: 'svc', pass: PROXY_PASSWORD });
  });
  after(async () => {
    await proxy?.close();
    await e2e?.close();
  });

  it('reads the hub over wss through the CONNECT proxy', async () => {
    const ids = publishRecords(e2e.broker, 'w', { partitions: ['0', '1', '2', '3'], messages: 1, perMessage: 4 });
    const run = await runStream(e2e, {
      name: 'via_proxy',
      checkpointDir: newCheckpointDir(),
      params: {
        ...sasParams(e2e),
        event_hub_namespace: 'contoso-defender.servicebus.windows.net',
        endpoint_url: `amqps://localhost:${e2e.broker.webSocketPort}`,
        proxy_url: proxy.url,
      },
      env: { NODE_EXTRA_CA_CERTS: testTls().caFile },
      kill: { signal: 'SIGTERM', afterEvents: ids.length },
    });
    const stderr = run.stderrLines.join('\n');
    expect(run.exitCode, stderr).to.equal(0);
    expect(idsOf(run.events).sort()).to.deep.equal([...ids].sort());
    expect(proxy.tunnels).to.include(`localhost:${e2e.broker.webSocketPort}`);
    expect(stderr).to.not.include(PROXY_PASSWORD);
  });
});
