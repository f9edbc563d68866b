import { expect } from 'chai';
import { parseIncidentChange, type IncidentChange } from '../../../../src/actions/rules/incident-change.js';
import type { RowOutcome } from '../../../../src/actions/protocol/outcomes.js';
import { isIncidentId, updateIncidents } from '../../../../src/actions/defender/update-incidents.js';
import { ApiError } from '../../../../src/errors.js';
import type { HttpRequest } from '../../../../src/ports.js';
import { FakeHttpClient, MemoryLogger } from '../../../helpers/fake-http-client.js';

const GRAPH = 'https://graph.example/v1.0';

function change(config: Record<string, string>): IncidentChange {
  const parsed = parseIncidentChange(config);
  if (!parsed.ok) throw new Error(parsed.problems.join(' '));
  return parsed.change;
}

/** A small incident table behind the fake client: GET, PATCH and POST comments, as Graph answers them. */
function graphServer(incidents: Map<string, Record<string, unknown>>, http = new FakeHttpClient()) {
  http.serve(
    (url) => url.startsWith(`${GRAPH}/security/incidents/`),
    (req: HttpRequest) => {
      const parts = new URL(req.url).pathname.split('/');
      const comments = parts.at(-1) === 'comments';
      const id = decodeURIComponent(parts.at(comments ? -2 : -1)!);
      const incident = incidents.get(id);
      if (!incident) return new ApiError('api_not_found', `HTTP 404: Incident '${id}' was not found.`, { status: 404 });
      if (comments) {
        incident.comments = [
          ...(incident.comments as unknown[]),
          { comment: (req.json as { comment: string }).comment },
        ];
        return { body: { value: incident.comments } };
      }
      if (req.method === 'PATCH') Object.assign(incident, req.json);
      return { body: incident };
    },
  );
  return http;
}

async function run(http: FakeHttpClient, ids: string[], c: IncidentChange): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  await updateIncidents({
    items: ids.map((id, i) => ({ row: i + 1, id })),
    change: c,
    apiBase: GRAPH,
    http,
    log: new MemoryLogger(),
    record: async (o) => {
      outcomes.push(o);
    },
  });
  return outcomes.sort((a, b) => a.row - b.row);
}

function table(n: number): Map<string, Record<string, unknown>> {
  return new Map(
    Array.from({ length: n }, (_, i) => [
      String(1000 + i),
      { id: String(1000 + i), status: 'active', customTags: ['own'], comments: [] },
    ]),
  );
}

describe('actions/defender/update-incidents', () => {
  it('reads the tags, patches the change with them merged, adds the comment, and verifies each answer', async () => {
    const incidents = table(3);
    const http = graphServer(incidents);
    const c = change({
      status: 'resolved',
      classification: 'falsePositive',
      custom_tags: 'splunk',
      comment: 'FP, lab',
    });
    const outcomes = await run(http, ['1000', '1001', '1002'], c);
    expect(outcomes.map((o) => [o.id, o.outcome, o.verified])).to.deep.equal([
      ['1000', 'success', true],
      ['1001', 'success', true],
      ['1002', 'success', true],
    ]);
    for (const incident of incidents.values()) {
      expect(incident).to.deep.include({
        status: 'resolved',
        classification: 'falsePositive',
        customTags: ['own', 'splunk'],
      });
      expect(incident.comments).to.deep.equal([{ comment: 'FP, lab' }]);
    }
    const forOne = http.requests.filter((r) => r.url.includes('/1000'));
    expect(forOne.map((r) => `${r.method ?? 'GET'} ${r.idempotent === true}`)).to.deep.equal([
      'GET false',
      'PATCH true',
      'POST false',
    ]);
  });

  it('skips the read without tags to add; reports an unknown id and an unapplied change per incident', async () => {
    const incidents = table(1);
    // An incident that answers 200 without taking the change (routes are tried in the order they were added).
    const http = new FakeHttpClient().serve(`${GRAPH}/security/incidents/2000`, () => ({
      body: { id: '2000', status: 'active' },
    }));
    graphServer(incidents, http);
    const outcomes = await run(http, ['1000', '404', '2000'], change({ status: 'resolved' }));
    expect(outcomes[0]).to.include({ outcome: 'success', httpStatus: 200 });
    expect(outcomes[1]).to.include({ outcome: 'failure', httpStatus: 404 });
    expect(outcomes[2]).to.include({ outcome: 'failure', verified: true });
    expect(outcomes[2]!.error).to.match(/does not show the change \(status is active, not resolved\)/);
    expect(http.requests.filter((r) => (r.method ?? 'GET') === 'GET')).to.deep.equal([]);
  });

  it('accepts Graph incident ids and refuses what is not path-safe', () => {
    expect(['2972395', 'abc-1'].every(isIncidentId)).to.equal(true);
    expect(['', '../x', 'a/b', 'a b', 'x'.repeat(129)].some(isIncidentId)).to.equal(false);
  });
});
