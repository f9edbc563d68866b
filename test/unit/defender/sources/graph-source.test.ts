import { expect } from 'chai';
import { GraphSource } from '../../../../src/defender/sources/graph-source.js';
import { PAGE_ATTEMPTS } from '../../../../src/defender/sources/page-reader.js';
import { ApiError, StoppedError } from '../../../../src/errors.js';
import { FakeHttpClient, MemoryLogger } from '../../../helpers/fake-http-client.js';
import { collect, graphAlerts, ids, odataPage, rejectionOf, WINDOW } from './support.js';

const BASE = 'https://graph.microsoft.com/v1.0/security/alerts_v2';
const FIRST =
  `${BASE}?$filter=lastUpdateDateTime%20ge%202024-05-01T10:00:00.0000000Z` +
  '%20and%20lastUpdateDateTime%20lt%202024-05-01T11:00:00.0000000Z' +
  '&$orderby=lastUpdateDateTime%20asc&$top=2';
const NEXT2 = `${BASE}?$top=2&$skiptoken=page2`;
const NEXT3 = `${BASE}?$top=2&$skiptoken=page3`;

function source(http: FakeHttpClient, log = new MemoryLogger(), extra: { filter?: string } = {}) {
  return new GraphSource({ http, log, alertsUrl: BASE, pageSize: 2, ...extra });
}

describe('GraphSource', () => {
  it('follows @odata.nextLink until it is absent, reporting each page', async () => {
    const [a1, a2, a3, a4, a5] = graphAlerts('a', 5);
    const http = new FakeHttpClient()
      .on(FIRST, { body: odataPage([a1, a2], NEXT2) })
      .on(NEXT2, { body: odataPage([a3, a4], NEXT3) })
      .on(NEXT3, { body: odataPage([a5]) });
    const { alerts, pages } = await collect(source(http));
    expect(ids(alerts)).to.deep.equal(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(alerts[0]!.json.toString('utf8')).to.equal(JSON.stringify(a1));
    expect(pages).to.deep.equal([
      { page: 1, items: 2 },
      { page: 2, items: 2 },
      { page: 3, items: 1 },
    ]);
    expect(http.urls).to.deep.equal([FIRST, NEXT2, NEXT3]);
  });

  it('asks for unknown enum members on every page and marks the GET safe to resend', async () => {
    const http = new FakeHttpClient().on(FIRST, { body: odataPage([], NEXT2) }).on(NEXT2, { body: odataPage([]) });
    await collect(source(http));
    for (const request of http.requests) {
      expect(request.headers).to.deep.include({ Prefer: 'include-unknown-enum-members' });
      expect(request).to.include({ method: 'GET', idempotent: true });
    }
  });

  it('ANDs the configured filter with the time clause', async () => {
    const http = new FakeHttpClient().on(/./, { body: odataPage([]) });
    await collect(source(http, new MemoryLogger(), { filter: "serviceSource eq 'microsoftDefenderForEndpoint'" }));
    const filter = new URL(http.urls[0]!).searchParams.get('$filter');
    expect(filter).to.match(/ and \(serviceSource eq 'microsoftDefenderForEndpoint'\)$/);
  });

  it('stops with api_paging_loop when a nextLink comes back a second time', async () => {
    const http = new FakeHttpClient()
      .on(FIRST, { body: odataPage(graphAlerts('a', 2), NEXT2) })
      .on(NEXT2, { body: odataPage(graphAlerts('b', 2), NEXT3) })
      .on(NEXT3, { body: odataPage(graphAlerts('c', 2), NEXT2) });
    const seen: unknown[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const alert of source(http).alerts(WINDOW, {})) seen.push(alert.id);
      })(),
    );
    expect(error).to.be.instanceOf(ApiError).with.property('code', 'api_paging_loop');
    expect(seen).to.deep.equal(['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
    expect(http.urls).to.deep.equal([FIRST, NEXT2, NEXT3]);
  });

  it('treats a nextLink back to the first page as a loop', async () => {
    const http = new FakeHttpClient().on(FIRST, { body: odataPage([], FIRST) });
    const error = await rejectionOf(collect(source(http)));
    expect(error).to.have.property('code', 'api_paging_loop');
  });

  it('refuses a nextLink to another host, so the token never leaves the API', async () => {
    const http = new FakeHttpClient().on(FIRST, { body: odataPage([], 'https://evil.example/steal?x=1') });
    const error = await rejectionOf(collect(source(http)));
    expect(error).to.be.instanceOf(ApiError).with.property('code', 'api_invalid_next_link');
    expect(error.message).to.contain('https://evil.example');
    expect(http.urls).to.deep.equal([FIRST]);
  });

  it('requests a page again when its body is cut, then carries on', async () => {
    const page1 = JSON.stringify(odataPage(graphAlerts('a', 2), NEXT2));
    const log = new MemoryLogger();
    const http = new FakeHttpClient()
      .on(
        FIRST,
        { body: page1, cutAt: page1.indexOf('"a2"') },
        { body: page1, cutAt: 40, cutMode: 'reset' },
        { body: page1 },
      )
      .on(NEXT2, { body: odataPage([]) });
    const { alerts, pages } = await collect(source(http, log));
    // a1 came in full before the first cut and again on the last attempt: the caller de-duplicates it.
    expect(ids(alerts)).to.deep.equal(['a1', 'a1', 'a2']);
    expect(pages).to.deep.equal([
      { page: 1, items: 2 },
      { page: 2, items: 0 },
    ]);
    expect(http.urls).to.deep.equal([FIRST, FIRST, FIRST, NEXT2]);
    const retries = log.lines.filter((line) => line.fields?.action === 'page_retry');
    expect(retries.map((line) => line.fields?.error)).to.deep.equal(['api_truncated_body', 'ECONNRESET']);
    expect(http.served.slice(0, 2).every((body) => body.discarded)).to.equal(true);
  });

  it(`gives up after ${PAGE_ATTEMPTS} cut bodies with an error naming the last failure and what to check`, async () => {
    const page = JSON.stringify(odataPage(graphAlerts('a', 2)));
    const cutBodies = Array.from({ length: PAGE_ATTEMPTS }, () => ({ body: page, cutAt: 30 }));
    const http = new FakeHttpClient().on(FIRST, ...cutBodies);
    const error = await rejectionOf(collect(source(http)));
    expect(error).to.be.instanceOf(ApiError).with.property('code', 'api_body_interrupted');
    expect(error.message).to.match(
      new RegExp(`${PAGE_ATTEMPTS} times in a row \\(last: api_truncated_body\\).*check the network path`),
    );
    expect(error).to.have.property('url', FIRST);
    expect(http.urls).to.have.length(PAGE_ATTEMPTS);
  });

  it('keeps a network error message (which may hold proxy credentials) out of its error and logs', async () => {
    const page = JSON.stringify(odataPage(graphAlerts('a', 2)));
    const leaky = () =>
      Object.assign(new Error('connect failed via http://user:hunter2@proxy:3128'), { code: 'ECONNRESET' });
    const log = new MemoryLogger();
    const cutBodies = Array.from({ length: PAGE_ATTEMPTS }, () => ({ body: page, cutAt: 30 }));
    const http = new FakeHttpClient().on(FIRST, ...cutBodies);
    // Replace the fake's own reset by one whose message carries a secret.
    const original = http.send.bind(http);
    http.send = async (request) => {
      const response = await original(request);
      return {
        ...response,
        body: (async function* () {
          yield Buffer.from('{"value":[');
          throw leaky();
        })(),
      };
    };
    const error = await rejectionOf(collect(source(http, log)));
    expect(error).to.be.instanceOf(ApiError).with.property('code', 'api_body_interrupted');
    expect(error.message).to.contain('ECONNRESET').and.not.contain('hunter2');
    expect(JSON.stringify(log.lines)).to.not.contain('hunter2');
  });

  it('does not retry a body that is not JSON', async () => {
    const http = new FakeHttpClient().on(FIRST, { body: '<html><body>Proxy error</body></html>' });
    const error = await rejectionOf(collect(source(http)));
    expect(error).to.have.property('code', 'api_invalid_body');
    expect(error.message).to.contain('<html><body>Proxy error');
    expect(http.urls).to.have.length(1);
  });

  it('passes on a failed request as the client reported it, without resending', async () => {
    const denied = new ApiError('api_forbidden', 'Grant SecurityAlert.Read.All', { status: 403 });
    const http = new FakeHttpClient().on(FIRST, denied);
    expect(await rejectionOf(collect(source(http)))).to.equal(denied);
    expect(http.urls).to.have.length(1);
  });

  it('stops between alerts with StoppedError when the signal fires, closing the body', async () => {
    const http = new FakeHttpClient().on(FIRST, { body: odataPage(graphAlerts('a', 2), NEXT2) });
    const controller = new AbortController();
    const seen: unknown[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const alert of source(http).alerts(WINDOW, { signal: controller.signal })) {
          seen.push(alert.id);
          controller.abort();
        }
      })(),
    );
    expect(error).to.be.instanceOf(StoppedError);
    expect(seen).to.deep.equal(['a1']);
    expect(http.served[0]!.discarded).to.equal(true);
    expect(http.urls).to.deep.equal([FIRST]);
  });

  it('does not send a request once the signal has fired', async () => {
    const http = new FakeHttpClient();
    const controller = new AbortController();
    controller.abort();
    const error = await rejectionOf(collect(source(http), WINDOW, { signal: controller.signal }));
    expect(error).to.be.instanceOf(StoppedError);
    expect(http.urls).to.deep.equal([]);
  });

  it('stops paging when onPage throws (the caller’s page cap)', async () => {
    const http = new FakeHttpClient().on(FIRST, { body: odataPage(graphAlerts('a', 2), NEXT2) });
    const cap = new Error('page cap');
    const error = await rejectionOf(
      collect(source(http), WINDOW, {
        onPage: () => {
          throw cap;
        },
      }),
    );
    expect(error).to.equal(cap);
    expect(http.urls).to.deep.equal([FIRST]);
  });

  it('closes the body when the consumer stops early', async () => {
    const http = new FakeHttpClient().on(FIRST, { body: odataPage(graphAlerts('a', 2), NEXT2) });
    for await (const alert of source(http).alerts(WINDOW, {})) {
      void alert;
      break;
    }
    expect(http.served[0]!.discarded).to.equal(true);
    expect(http.served[0]!.completed).to.equal(false);
  });

  it('reads multibyte and hostile strings intact when every byte arrives alone', async () => {
    const alert = {
      id: 'x1',
      lastUpdateDateTime: '2024-05-01T10:00:00Z',
      recommendedActions: 'A\tB\uFFFD é中😀 </data> ]]> \u2028 \u0000\u001f',
    };
    const http = new FakeHttpClient().on(FIRST, { body: odataPage([alert]), chunkSizes: [1] });
    const { alerts } = await collect(source(http));
    expect(alerts).to.have.length(1);
    const json = alerts[0]!.json.toString('utf8');
    expect(json).to.equal(JSON.stringify(alert));
    expect(json).to.contain('\\u0000').and.not.contain('\n');
    expect(JSON.parse(json)).to.deep.equal(alert);
    expect(alerts[0]).to.deep.include({ id: 'x1', time: '2024-05-01T10:00:00Z' });
  });

  it('rejects a page size that is not a whole number ≥ 1', () => {
    const http = new FakeHttpClient();
    expect(() => new GraphSource({ http, log: new MemoryLogger(), alertsUrl: BASE, pageSize: 0 })).to.throw(
      RangeError,
      /pageSize/,
    );
  });

  it('asks for 1000 alerts per page by default', async () => {
    const http = new FakeHttpClient().on(/./, { body: odataPage([]) });
    await collect(new GraphSource({ http, log: new MemoryLogger(), alertsUrl: BASE }));
    expect(http.urls[0]).to.match(/&\$top=1000$/);
  });
});
