import { expect } from 'chai';
import { GraphIncidentsSource } from '../../../../src/defender/sources/incidents-source.js';
import { ApiError } from '../../../../src/errors.js';
import type { RawIncident } from '../../../../src/ports.js';
import { FakeHttpClient, MemoryLogger } from '../../../helpers/fake-http-client.js';
import { odataPage, rejectionOf, WINDOW } from './support.js';

const BASE = 'https://graph.microsoft.com/v1.0/security/incidents';
const FIRST =
  `${BASE}?$filter=lastUpdateDateTime%20ge%202024-05-01T10:00:00.0000000Z%20and%20lastUpdateDateTime%20lt%20` +
  '2024-05-01T11:00:00.0000000Z&$expand=alerts&$top=50';
const NEXT = `${BASE}?$expand=alerts&$top=50&$skiptoken=page2`;

function incident(id: string, alertIds: string[]): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.security.incident',
    id,
    displayName: `Incident ${id} & <friends>`,
    lastUpdateDateTime: '2024-05-01T10:30:00.1234567Z',
    status: 'active',
    alerts: alertIds.map((alertId) => ({ id: alertId, incidentId: id, lastUpdateDateTime: '2024-05-01T10:00:00Z' })),
  };
}

async function read(source: GraphIncidentsSource): Promise<RawIncident[]> {
  const out: RawIncident[] = [];
  for await (const item of source.incidents(WINDOW, {})) out.push(item);
  return out;
}

describe('GraphIncidentsSource', () => {
  it('asks for incidents with their alerts, 50 a page at most, and follows @odata.nextLink', async () => {
    const http = new FakeHttpClient()
      .on(FIRST, { body: odataPage([incident('1', ['a', 'b']), incident('2', [])], NEXT) })
      .on(NEXT, { body: odataPage([incident('3', ['c'])]) });
    const source = new GraphIncidentsSource({ http, log: new MemoryLogger(), alertsUrl: BASE, pageSize: 1000 });
    const items = await read(source);
    expect(http.urls).to.deep.equal([FIRST, NEXT]);
    expect(items.map((i) => i.id)).to.deep.equal(['1', '2', '3']);
    expect(items.map((i) => i.alerts.map((a) => a.id))).to.deep.equal([['a', 'b'], [], ['c']]);
    for (const request of http.requests)
      expect(request.headers).to.deep.include({ Prefer: 'include-unknown-enum-members' });
  });

  it('hands over the incident without its alerts and each alert, byte for byte as served', async () => {
    const served = incident('1', ['a', 'b']);
    const http = new FakeHttpClient().on(FIRST, { body: odataPage([served]) });
    const [item] = await read(new GraphIncidentsSource({ http, log: new MemoryLogger(), alertsUrl: BASE }));
    const { alerts, ...rest } = served;
    expect(item!.json.toString('utf8')).to.equal(JSON.stringify(rest));
    expect(item!.alerts.map((a) => a.json.toString('utf8'))).to.deep.equal(
      (alerts as unknown[]).map((a) => JSON.stringify(a)),
    );
  });

  it('refuses an incident whose alerts are not an array, naming the problem', async () => {
    const http = new FakeHttpClient().on(FIRST, {
      body: odataPage([{ id: '1', lastUpdateDateTime: '2024-05-01T10:30:00Z', alerts: 7 }]),
    });
    const error = await rejectionOf(read(new GraphIncidentsSource({ http, log: new MemoryLogger(), alertsUrl: BASE })));
    expect(error).to.be.instanceOf(ApiError);
    expect((error as ApiError).code).to.equal('api_invalid_body');
    expect(error.message).to.match(/alerts is not an array/);
  });
});
