import { expect } from 'chai';
import { parseAlertChange, type AlertChange } from '../../../../src/actions/rules/alert-change.js';
import type { RowOutcome } from '../../../../src/actions/protocol/outcomes.js';
import { createRateLimiter } from '../../../../src/actions/defender/rate-limiter.js';
import { isAlertId, updateAlerts, type AlertItem } from '../../../../src/actions/defender/update-alerts.js';
import { ApiError } from '../../../../src/errors.js';
import type { HttpRequest } from '../../../../src/ports.js';
import { ManualClock } from '../../../fakes/memory-ports.js';
import { FakeHttpClient, MemoryLogger } from '../../../helpers/fake-http-client.js';

const GRAPH = 'https://graph.example/v1.0';
const MDE = 'https://mde.example';

function change(config: Record<string, string>, family: 'graph' | 'mde'): AlertChange {
  const parsed = parseAlertChange(config, family);
  if (!parsed.ok) throw new Error(parsed.problems.join(' '));
  return parsed.change;
}

async function run(
  http: FakeHttpClient,
  family: 'graph' | 'mde',
  items: AlertItem[],
  c: AlertChange,
  clock = new ManualClock(0),
) {
  const outcomes: RowOutcome[] = [];
  await updateAlerts({
    items,
    change: c,
    family,
    apiBase: family === 'graph' ? GRAPH : MDE,
    http,
    log: new MemoryLogger(),
    record: async (o) => {
      outcomes.push(o);
    },
    batchLimiter: createRateLimiter({ limit: 10, windowMs: 60_000, clock }),
  });
  return outcomes.sort((a, b) => a.row - b.row);
}

/** A tiny MDE alert table behind the fake client: PATCH, batchUpdate and `$filter=id eq …` reads. */
function mdeServer(alerts: Map<string, Record<string, unknown>>, http = new FakeHttpClient()) {
  const apply = (id: string, body: Record<string, unknown>) => {
    const alert = alerts.get(id)!;
    const { comment, alertIds: _ids, ...fields } = body;
    Object.assign(alert, fields);
    if (typeof comment === 'string') alert.comments = [...(alert.comments as unknown[]), { comment }];
  };
  http.serve(`${MDE}/api/alerts/batchUpdate`, (req: HttpRequest) => {
    const body = req.json as Record<string, unknown>;
    for (const id of body.alertIds as string[]) if (alerts.has(id)) apply(id, body);
    return { body: '' };
  });
  http.serve(
    (url) => url.startsWith(`${MDE}/api/alerts?`),
    (req) => {
      const filter = new URL(req.url).searchParams.get('$filter')!;
      const ids = [...filter.matchAll(/id eq '([^']+)'/g)].map((m) => m[1]!);
      return { body: { value: ids.filter((id) => alerts.has(id)).map((id) => alerts.get(id)) } };
    },
  );
  http.serve(
    (url) => url.startsWith(`${MDE}/api/alerts/`),
    (req) => {
      const id = decodeURIComponent(new URL(req.url).pathname.split('/').pop()!);
      if (!alerts.has(id))
        return new ApiError('api_not_found', `PATCH answered HTTP 404 ResourceNotFound`, { status: 404 });
      apply(id, req.json as Record<string, unknown>);
      return { body: alerts.get(id)! };
    },
  );
  return http;
}

function mdeAlerts(n: number): Map<string, Record<string, unknown>> {
  return new Map(
    Array.from({ length: n }, (_, i) => [
      `da${i}_1`,
      { id: `da${i}_1`, status: 'New', classification: null, determination: null, assignedTo: null, comments: [] },
    ]),
  );
}

describe('update alerts', () => {
  it('accepts Defender alert ids and refuses path-like text', () => {
    for (const id of [
      'da637551227677560813_-961444813',
      '121688558380765161_2136280442',
      'fa2b5a7e-4d0c-4c4e-9e6c-0f6b0c5e0a11',
    ])
      expect(isAlertId(id), id).to.equal(true);
    for (const id of ['..', '../indicators', 'a/b', 'a b', '', '?x', `a${'b'.repeat(300)}`])
      expect(isAlertId(id), id).to.equal(false);
  });

  it('Graph: PATCHes each alert with camelCase values, then posts the comment, and reports success', async () => {
    const http = new FakeHttpClient();
    http.serve(
      (url) => url.endsWith('/comments'),
      (req) => ({ body: { value: [{ comment: (req.json as { comment: string }).comment }] } }),
    );
    http.serve(
      (url) => url.startsWith(`${GRAPH}/security/alerts_v2/`),
      (req) => ({ body: { id: 'x', ...(req.json as object) } }),
    );
    const outcomes = await run(
      http,
      'graph',
      [
        { row: 1, id: 'a1' },
        { row: 2, id: 'a2' },
      ],
      change({ status: 'Resolved', classification: 'TruePositive', comment: 'done' }, 'graph'),
    );
    expect(outcomes.map((o) => [o.id, o.outcome, o.httpStatus, o.verified])).to.deep.equal([
      ['a1', 'success', 200, true],
      ['a2', 'success', 200, true],
    ]);
    const patches = http.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.url)).to.have.members([
      `${GRAPH}/security/alerts_v2/a1`,
      `${GRAPH}/security/alerts_v2/a2`,
    ]);
    expect(patches[0]!.json).to.deep.equal({ status: 'resolved', classification: 'truePositive' });
    const posts = http.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.idempotent)).to.deep.equal([false, false]);
  });

  it('Graph: a 404 for one alert fails that row only', async () => {
    const http = new FakeHttpClient();
    http.serve(
      `${GRAPH}/security/alerts_v2/gone`,
      () =>
        new ApiError('api_not_found', 'PATCH /v1.0/security/alerts_v2/gone answered HTTP 404 NotFound', {
          status: 404,
        }),
    );
    http.serve(
      (url) => url.startsWith(`${GRAPH}/security/alerts_v2/`),
      (req) => ({ body: { ...(req.json as object) } }),
    );
    const outcomes = await run(
      http,
      'graph',
      [
        { row: 1, id: 'ok1' },
        { row: 2, id: 'gone' },
        { row: 3, id: 'ok2' },
      ],
      change({ status: 'inProgress' }, 'graph'),
    );
    expect(outcomes.map((o) => o.outcome)).to.deep.equal(['success', 'failure', 'success']);
    expect(outcomes[1]).to.include({ httpStatus: 404 });
    expect(outcomes[1]!.error).to.include('404');
  });

  it('Graph: a 200 whose alert does not show the change is a failure', async () => {
    const http = new FakeHttpClient();
    http.serve(
      () => true,
      () => ({ body: { id: 'a1', status: 'new' } }),
    );
    const [outcome] = await run(http, 'graph', [{ row: 1, id: 'a1' }], change({ status: 'resolved' }, 'graph'));
    expect(outcome).to.include({ outcome: 'failure', httpStatus: 200 });
    expect(outcome!.error).to.include('status is new, not resolved');
  });

  it('MDE: one alert goes through PATCH with PascalCase values', async () => {
    const alerts = mdeAlerts(1);
    const http = mdeServer(alerts);
    const outcomes = await run(
      http,
      'mde',
      [{ row: 1, id: 'da0_1' }],
      change({ status: 'resolved', classification: 'falsePositive', determination: 'clean' }, 'mde'),
    );
    expect(outcomes[0]).to.include({ outcome: 'success', httpStatus: 200, verified: true });
    expect(http.requests[0]).to.include({ method: 'PATCH', url: `${MDE}/api/alerts/da0_1` });
    expect(http.requests[0]!.json).to.deep.equal({
      status: 'Resolved',
      classification: 'FalsePositive',
      determination: 'NotMalicious',
    });
  });

  it('MDE: 250 alerts take 3 batchUpdate calls, then are read back and each verified', async () => {
    const alerts = mdeAlerts(250);
    const http = mdeServer(alerts);
    const items = [...alerts.keys()].map((id, i) => ({ row: i + 1, id }));
    const outcomes = await run(http, 'mde', items, change({ status: 'Resolved', comment: 'bulk' }, 'mde'));
    expect(outcomes).to.have.length(250);
    expect(outcomes.every((o) => o.outcome === 'success' && o.verified === true)).to.equal(true);
    const batches = http.requests.filter((r) => r.url.endsWith('/batchUpdate'));
    expect(batches.map((r) => (r.json as { alertIds: string[] }).alertIds.length)).to.deep.equal([100, 100, 50]);
    expect((batches[0]!.json as Record<string, unknown>).comment).to.equal('bulk');
    expect(batches[0]!.idempotent).to.equal(false);
    expect(http.requests.filter((r) => r.method === undefined || r.method === 'GET')).to.have.length(13);
    expect([...alerts.values()].every((a) => a.status === 'Resolved')).to.equal(true);
  });

  it('MDE: an id that batchUpdate silently ignored is reported as not found', async () => {
    const alerts = mdeAlerts(3);
    const http = mdeServer(alerts);
    const outcomes = await run(
      http,
      'mde',
      [
        { row: 1, id: 'da0_1' },
        { row: 2, id: 'unknown_9' },
        { row: 3, id: 'da2_1' },
      ],
      change({ status: 'InProgress' }, 'mde'),
    );
    expect(outcomes.map((o) => o.outcome)).to.deep.equal(['success', 'failure', 'success']);
    expect(outcomes[1]).to.include({ httpStatus: 404 });
    expect(outcomes[1]!.error).to.include('not found in Defender for Endpoint after batchUpdate');
  });

  it('MDE: a batch refused with 400 is retried alert by alert, so only the bad one fails', async () => {
    const alerts = mdeAlerts(3);
    const http = new FakeHttpClient().on(
      `${MDE}/api/alerts/batchUpdate`,
      new ApiError('api_bad_request', 'answered HTTP 400 InvalidRequestBody', { status: 400 }),
    );
    mdeServer(alerts, http);
    const outcomes = await run(
      http,
      'mde',
      [
        { row: 1, id: 'da0_1' },
        { row: 2, id: 'nope_1' },
        { row: 3, id: 'da2_1' },
      ],
      change({ status: 'Resolved' }, 'mde'),
    );
    expect(outcomes.map((o) => [o.outcome, o.httpStatus])).to.deep.equal([
      ['success', 200],
      ['failure', 404],
      ['success', 200],
    ]);
  });

  it('MDE: a 403 on the batch fails its alerts with the permission message and no fallback calls', async () => {
    const http = new FakeHttpClient().on(
      `${MDE}/api/alerts/batchUpdate`,
      new ApiError('api_forbidden', 'answered HTTP 403 Forbidden. Grant Alert.ReadWrite.All', { status: 403 }),
    );
    const outcomes = await run(
      http,
      'mde',
      [
        { row: 1, id: 'da0_1' },
        { row: 2, id: 'da1_1' },
      ],
      change({ status: 'Resolved' }, 'mde'),
    );
    expect(outcomes.map((o) => [o.outcome, o.httpStatus])).to.deep.equal([
      ['failure', 403],
      ['failure', 403],
    ]);
    expect(outcomes[0]!.error).to.include('Alert.ReadWrite.All');
    expect(http.requests).to.have.length(1);
  });

  it('MDE: keeps batchUpdate under 10 calls a minute by waiting', async () => {
    const alerts = mdeAlerts(1100);
    const http = mdeServer(alerts);
    const clock = new ManualClock(0);
    const items = [...alerts.keys()].map((id, i) => ({ row: i + 1, id }));
    const outcomes = await run(http, 'mde', items, change({ status: 'Resolved' }, 'mde'), clock);
    expect(outcomes.filter((o) => o.outcome === 'success')).to.have.length(1100);
    expect(http.requests.filter((r) => r.url.endsWith('/batchUpdate'))).to.have.length(11);
    expect(clock.ms).to.equal(60_000);
  });
});
