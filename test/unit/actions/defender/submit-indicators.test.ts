import { expect } from 'chai';
import type { Indicator } from '../../../../src/actions/rules/indicator-rules.js';
import type { RowOutcome } from '../../../../src/actions/protocol/outcomes.js';
import { createRateLimiter } from '../../../../src/actions/defender/rate-limiter.js';
import {
  applyTenantCap,
  recordImportResults,
  submitIndicators,
  type IndicatorItem,
} from '../../../../src/actions/defender/submit-indicators.js';
import { ApiError } from '../../../../src/errors.js';
import type { HttpRequest } from '../../../../src/ports.js';
import { ManualClock } from '../../../fakes/memory-ports.js';
import { FakeHttpClient, MemoryLogger } from '../../../helpers/fake-http-client.js';

const MDE = 'https://mde.example';

function sha256(i: number): string {
  return i.toString(16).padStart(64, '0');
}
function items(n: number, from = 0): IndicatorItem[] {
  return Array.from({ length: n }, (_, i) => ({
    row: i + 1,
    indicator: {
      indicatorValue: sha256(from + i),
      indicatorType: 'FileSha256',
      action: 'Block',
      title: 't',
      description: 'd',
      generateAlert: false,
    },
  }));
}

/** A fake indicators API: list with $top/$skip over `existing`, import answering per item (values in `refuse` fail). */
function server(existing: number, refuse = new Set<string>(), http = new FakeHttpClient()) {
  const stored = Array.from({ length: existing }, (_, i) => ({
    indicatorType: 'FileSha256',
    indicatorValue: sha256(1_000_000 + i),
  }));
  http.serve(
    (url) => url.startsWith(`${MDE}/api/indicators?`),
    (req) => {
      const q = new URL(req.url).searchParams;
      const skip = Number(q.get('$skip')),
        top = Number(q.get('$top'));
      return { body: { value: stored.slice(skip, skip + top) } };
    },
  );
  http.serve(`${MDE}/api/indicators/import`, (req: HttpRequest) => {
    const list = (req.json as { Indicators: Indicator[] }).Indicators;
    return {
      body: {
        value: list.map((ind, i) =>
          refuse.has(ind.indicatorValue)
            ? { id: null, indicator: ind.indicatorValue, isFailed: true, failureReason: 'InvalidHashValue' }
            : { id: String(5000 + i), indicator: ind.indicatorValue, isFailed: false, failureReason: null },
        ),
      },
    };
  });
  return http;
}

async function submit(
  http: FakeHttpClient,
  list: IndicatorItem[],
  options: { dryRun?: boolean; cap?: number; clock?: ManualClock; batchSize?: number } = {},
) {
  const outcomes: RowOutcome[] = [];
  await submitIndicators({
    items: list,
    apiBase: MDE,
    http,
    log: new MemoryLogger(),
    dryRun: options.dryRun ?? false,
    cap: options.cap,
    batchSize: options.batchSize,
    record: async (o) => {
      outcomes.push(o);
    },
    importLimiter: createRateLimiter({ limit: 30, windowMs: 60_000, clock: options.clock ?? new ManualClock(0) }),
  });
  return outcomes.sort((a, b) => a.row - b.row);
}

describe('submit indicators', () => {
  it('sends 1,200 indicators in 3 import calls (500, 500, 200) with a per-row outcome from the response', async () => {
    const http = server(0);
    const outcomes = await submit(http, items(1200));
    const imports = http.requests.filter((r) => r.url.endsWith('/import'));
    expect(imports.map((r) => (r.json as { Indicators: unknown[] }).Indicators.length)).to.deep.equal([500, 500, 200]);
    expect(imports.every((r) => r.method === 'POST' && r.idempotent === true)).to.equal(true);
    expect(outcomes).to.have.length(1200);
    expect(
      outcomes.every((o) => o.outcome === 'success' && o.httpStatus === 200 && o.indicatorId !== undefined),
    ).to.equal(true);
  });

  it('reports the rows Defender refused with its reason while the rest succeed', async () => {
    const http = server(0, new Set([sha256(1)]));
    const outcomes = await submit(http, items(3));
    expect(outcomes.map((o) => o.outcome)).to.deep.equal(['success', 'failure', 'success']);
    expect(outcomes[1]!.error).to.equal('Defender refused the indicator: InvalidHashValue');
  });

  it('refuses, before sending, the new indicators that would pass the tenant cap, and still sends the others', async () => {
    const http = server(14_998);
    const outcomes = await submit(http, items(5));
    expect(outcomes.map((o) => o.outcome)).to.deep.equal(['success', 'success', 'failure', 'failure', 'failure']);
    expect(outcomes[2]!.error).to.match(/the tenant has 14998 active indicators and Defender allows 15000/);
    const listed = http.requests.filter((r) => r.url.includes('/api/indicators?'));
    expect(listed.map((r) => new URL(r.url).searchParams.get('$skip'))).to.deep.equal(['0', '10000']);
    expect(
      (http.requests.find((r) => r.url.endsWith('/import'))!.json as { Indicators: unknown[] }).Indicators,
    ).to.have.length(2);
  });

  it('lets updates of existing indicators through even at the cap', () => {
    const list = items(2);
    const tenant = { count: 15_000, keys: new Set([`FileSha256|${sha256(1)}`]) };
    const { fits, over } = applyTenantCap(list, tenant, 15_000);
    expect(fits.map((i) => i.row)).to.deep.equal([2]);
    expect(over.map((i) => i.row)).to.deep.equal([1]);
  });

  it('dry run counts and reports but sends no import', async () => {
    const http = server(10);
    const outcomes = await submit(http, items(4), { dryRun: true });
    expect(outcomes.every((o) => o.outcome === 'dry_run')).to.equal(true);
    expect(http.requests.every((r) => (r.method ?? 'GET') === 'GET')).to.equal(true);
  });

  it('waits for the 30 calls/min quota instead of failing', async () => {
    const clock = new ManualClock(0);
    const http = server(0);
    const outcomes = await submit(http, items(310), { clock, batchSize: 10 });
    expect(outcomes.filter((o) => o.outcome === 'success')).to.have.length(310);
    expect(http.requests.filter((r) => r.url.endsWith('/import'))).to.have.length(31);
    // The 31st call waited for the first one to leave the one-minute window.
    expect(clock.ms).to.equal(60_000);
  });

  it('after a 403 stops calling and fails the remaining rows with the same reason', async () => {
    const http = server(
      0,
      new Set(),
      new FakeHttpClient().on(
        `${MDE}/api/indicators/import`,
        new ApiError('api_forbidden', 'answered HTTP 403 Forbidden: grant Ti.ReadWrite.All', { status: 403 }),
      ),
    );
    const outcomes = await submit(http, items(1100));
    expect(outcomes.every((o) => o.outcome === 'failure' && o.httpStatus === 403)).to.equal(true);
    expect(outcomes[700]!.error).to.include('Not sent: an earlier import call failed');
    expect(http.requests.filter((r) => r.url.endsWith('/import'))).to.have.length(1);
  });

  it('matches results by value when the response order differs, and flags rows without a result', async () => {
    const list = items(3);
    const outcomes: RowOutcome[] = [];
    await recordImportResults(
      list,
      200,
      {
        value: [
          { id: '9', indicator: sha256(2).toUpperCase(), isFailed: false },
          { id: '7', indicator: sha256(0), isFailed: false },
        ],
      },
      async (o) => {
        outcomes.push(o);
      },
    );
    expect(outcomes.map((o) => [o.row, o.outcome, o.indicatorId])).to.deep.equal([
      [1, 'success', '7'],
      [2, 'failure', undefined],
      [3, 'success', '9'],
    ]);
  });
});
