import { expect } from 'chai';
import { SiemSource } from '../../../../src/defender/sources/siem-source.js';
import { ApiError } from '../../../../src/errors.js';
import { FakeHttpClient, MemoryLogger } from '../../../helpers/fake-http-client.js';
import { collect, rejectionOf, t, WINDOW } from './support.js';

const BASE = 'https://wdatp-alertexporter-eu.windows.com/api/alerts';
const CLOSED = `${BASE}?sinceTimeUtc=2024-05-01T10:00:00.000&untilTimeUtc=2024-05-01T11:00:00.000`;

function detection(i: number): Record<string, unknown> {
  return {
    AlertTime: '2020-09-30T14:09:20.35743Z',
    AlertId: `da637370718981685665_${Math.floor(i / 2)}`,
    AlertPart: i % 2,
    FullId: `da637370718981685665_${Math.floor(i / 2)}:part${i}`,
    LastProcessedTimeUtc: '2020-09-30T14:11:44.0779765Z',
    FilePath: 'C:\\WINDOWS\\SysWOW64\\boo3\\qwerty',
    RemediationIsSuccess: null,
  };
}

function source(http: FakeHttpClient) {
  return new SiemSource({ http, log: new MemoryLogger(), alertsUrl: BASE });
}

describe('SiemSource', () => {
  it('reads one window with one request and yields every detection', async () => {
    const body = [detection(0), detection(1), detection(2)];
    const http = new FakeHttpClient().on(CLOSED, { body });
    const { alerts, pages } = await collect(source(http));
    expect(alerts.map((alert) => alert.id)).to.deep.equal(body.map((d) => d.FullId));
    expect(alerts.map((alert) => alert.time)).to.deep.equal(body.map((d) => d.LastProcessedTimeUtc));
    expect(alerts[1]!.json.toString('utf8')).to.equal(JSON.stringify(body[1]));
    expect(pages).to.deep.equal([{ page: 1, items: 3 }]);
    expect(http.urls).to.deep.equal([CLOSED]);
  });

  it('sends only sinceTimeUtc for an open window, floored to the millisecond', async () => {
    const url = `${BASE}?sinceTimeUtc=2024-05-01T10:00:00.123`;
    const http = new FakeHttpClient().on(url, { body: '[]' });
    const { alerts, pages } = await collect(source(http), { from: t('2024-05-01T10:00:00.1239999Z') });
    expect(alerts).to.deep.equal([]);
    expect(pages).to.deep.equal([{ page: 1, items: 0 }]);
  });

  it('yields detections of a huge array before its body has ended', async () => {
    const count = 5000;
    const body = Buffer.from(JSON.stringify(Array.from({ length: count }, (_, i) => detection(i))));
    const http = new FakeHttpClient().on(CLOSED, { body, chunkSizes: [16_384, 777] });
    let firstAt: { chunksServed: number; totalChunks: number } | undefined;
    let n = 0;
    for await (const alert of source(http).alerts(WINDOW, {})) {
      void alert;
      if (n++ === 0) firstAt = { ...http.served[0]! };
    }
    expect(n).to.equal(count);
    expect(firstAt!.totalChunks).to.be.above(20);
    expect(firstAt!.chunksServed).to.equal(1);
    expect(http.served[0]!.completed).to.equal(true);
  });

  it('requests the window again when the body is cut mid-array', async () => {
    const body = JSON.stringify([detection(0), detection(1)]);
    const http = new FakeHttpClient().on(CLOSED, { body, cutAt: body.length - 1 }, { body });
    const { alerts, pages } = await collect(source(http));
    expect(alerts.map((alert) => alert.id)).to.deep.equal([
      detection(0).FullId,
      detection(1).FullId,
      detection(0).FullId,
      detection(1).FullId,
    ]);
    expect(pages).to.deep.equal([{ page: 1, items: 2 }]);
    expect(http.urls).to.deep.equal([CLOSED, CLOSED]);
  });

  it('rejects an object body (an error document) as api_invalid_body', async () => {
    const http = new FakeHttpClient().on(CLOSED, { body: { error: { code: 'Forbidden', message: 'tenant deleted' } } });
    const error = await rejectionOf(collect(source(http)));
    expect(error).to.be.instanceOf(ApiError).with.property('code', 'api_invalid_body');
    expect(error.message).to.contain('Forbidden');
  });
});
