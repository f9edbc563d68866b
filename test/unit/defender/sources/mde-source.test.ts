import { expect } from 'chai';
import { MdeSource, skipMarginOf } from '../../../../src/defender/sources/mde-source.js';
import type { HttpRequest } from '../../../../src/ports.js';
import { FakeHttpClient, MemoryLogger } from '../../../helpers/fake-http-client.js';
import { collect, ids, odataPage } from './support.js';

const BASE = 'https://api.security.microsoft.com/api/alerts';
const FILTER =
  '$filter=lastUpdateTime%20ge%202024-05-01T10:00:00.0000000Z%20and%20lastUpdateTime%20lt%202024-05-01T11:00:00.0000000Z';
const page = (top: number, skip?: number) =>
  `${BASE}?${FILTER}&$expand=evidence&$top=${top}${skip ? `&$skip=${skip}` : ''}`;

function mdeAlerts(prefix: string, from: number, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${from + i}`,
    lastUpdateTime: '2024-05-01T10:30:00.2Z',
    evidence: [],
  }));
}

function source(http: FakeHttpClient, pageSize: number) {
  return new MdeSource({ http, log: new MemoryLogger(), alertsUrl: BASE, pageSize });
}

describe('MdeSource', () => {
  it('reads one short page with a single request', async () => {
    const http = new FakeHttpClient().on(page(100), { body: odataPage(mdeAlerts('a', 1, 3)) });
    const { alerts, pages } = await collect(source(http, 100));
    expect(ids(alerts)).to.deep.equal(['a1', 'a2', 'a3']);
    expect(pages).to.deep.equal([{ page: 1, items: 3 }]);
    expect(http.urls).to.deep.equal([page(100)]);
  });

  it('pages with $skip while pages are full, overlapping each by the margin, and stops on a short page', async () => {
    const http = new FakeHttpClient()
      .on(page(100), { body: odataPage(mdeAlerts('a', 1, 100)) })
      .on(page(100, 99), { body: odataPage(mdeAlerts('a', 100, 100)) })
      .on(page(100, 198), { body: odataPage(mdeAlerts('a', 199, 40)) });
    const { alerts, pages } = await collect(source(http, 100));
    expect(http.urls).to.deep.equal([page(100), page(100, 99), page(100, 198)]);
    expect(pages).to.deep.equal([
      { page: 1, items: 100 },
      { page: 2, items: 100 },
      { page: 3, items: 40 },
    ]);
    expect(new Set(ids(alerts)).size).to.equal(238);
  });

  it('stops on an empty page after an exactly full one', async () => {
    const http = new FakeHttpClient()
      .on(page(10), { body: odataPage(mdeAlerts('a', 1, 10)) })
      .on(page(10, 9), { body: odataPage([]) });
    const { pages } = await collect(source(http, 10));
    expect(pages).to.deep.equal([
      { page: 1, items: 10 },
      { page: 2, items: 0 },
    ]);
  });

  it('keeps 1% of each page as overlap, at least one row, none for a page of one', () => {
    expect([10_000, 1000, 150, 100, 50, 2, 1].map(skipMarginOf)).to.deep.equal([100, 10, 1, 1, 1, 1, 0]);
  });

  it('asks for 10000 alerts per page by default, with 100 rows of overlap', async () => {
    const http = new FakeHttpClient()
      .on(page(10_000), { body: odataPage(mdeAlerts('a', 1, 10_000)) })
      .on(page(10_000, 9_900), { body: odataPage([]) });
    await collect(new MdeSource({ http, log: new MemoryLogger(), alertsUrl: BASE }));
    expect(http.urls).to.deep.equal([page(10_000), page(10_000, 9_900)]);
  });

  it('does not miss an alert when rows shift between page reads', async () => {
    // A tiny MDE serving the window in its own (unsorted) order. After page 1 is read, alert a20 (on page 1) is
    // updated past the window's end and leaves it, so every later row moves up by one: without overlap, the row that
    // moves from page 2 onto page 1 would never be read.
    let rows = mdeAlerts('a', 1, 25).reverse();
    const server = (request: HttpRequest) => {
      const query = new URL(request.url).searchParams;
      const top = Number(query.get('$top'));
      const skip = Number(query.get('$skip') ?? 0);
      const body = odataPage(rows.slice(skip, skip + top));
      if (skip === 0) rows = rows.filter((row) => row.id !== 'a20');
      return { body };
    };
    const http = new FakeHttpClient().serve(`${BASE}?*`, server);
    const { alerts } = await collect(source(http, 10));
    const read = new Set(ids(alerts));
    for (const row of rows) expect(read.has(row.id), `${String(row.id)} read`).to.equal(true);
  });

  it('follows @odata.nextLink when the API sends one, and stops at the page without one even if full', async () => {
    const next = `${BASE}?$top=10&$skip=10&$skiptoken=x`;
    const http = new FakeHttpClient()
      .on(page(10), { body: odataPage(mdeAlerts('a', 1, 10), next) })
      .on(next, { body: odataPage(mdeAlerts('a', 11, 10)) });
    const { alerts, pages } = await collect(source(http, 10));
    expect(http.urls).to.deep.equal([page(10), next]);
    expect(alerts).to.have.length(20);
    expect(pages).to.have.length(2);
  });

  it('requests a page whose body broke off again, keeping the same $skip', async () => {
    const second = JSON.stringify(odataPage(mdeAlerts('a', 10, 10)));
    const http = new FakeHttpClient()
      .on(page(10), { body: odataPage(mdeAlerts('a', 1, 10)) })
      .on(page(10, 9), { body: second, cutAt: second.length - 5, cutMode: 'reset' }, { body: second })
      .on(page(10, 18), { body: odataPage([]) });
    const { pages } = await collect(source(http, 10));
    expect(http.urls).to.deep.equal([page(10), page(10, 9), page(10, 9), page(10, 18)]);
    expect(pages).to.deep.equal([
      { page: 1, items: 10 },
      { page: 2, items: 10 },
      { page: 3, items: 0 },
    ]);
  });

  it('does not send the Graph-only Prefer header', async () => {
    const http = new FakeHttpClient().on(page(10), { body: odataPage([]) });
    await collect(source(http, 10));
    expect(http.requests[0]!.headers ?? {}).to.not.have.property('Prefer');
  });
});
