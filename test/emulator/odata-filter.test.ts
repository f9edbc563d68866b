import { expect } from 'chai';
import { parseApiTime } from '../../src/defender/api-time.js';
import { ALERT_SHAPES } from './alert-shapes.js';
import { extractTimeBounds, FilterError, matchesFilter, parseFilter, type FieldValue } from './odata-filter.js';

const graph = ALERT_SHAPES.graph.filter;
const mde = ALERT_SHAPES.mde.filter;

function matches(filter: string, record: Record<string, FieldValue>, schema = graph): boolean {
  return matchesFilter(parseFilter(filter, schema), (f) => record[f], schema.caseInsensitive);
}

describe('emulator: OData $filter subset', () => {
  const t = (s: string) => parseApiTime(s)!;
  const alert = {
    lastUpdateDateTime: t('2024-05-01T10:00:00.1234567Z'),
    status: 'new',
    severity: 'high',
    assignedTo: null,
  };

  it('binds and tighter than or, and honours parentheses', () => {
    expect(matches("status eq 'resolved' and severity eq 'low' or severity eq 'high'", alert)).to.equal(true);
    expect(matches("status eq 'resolved' and (severity eq 'low' or severity eq 'high')", alert)).to.equal(false);
    expect(matches("not (status eq 'new')", alert)).to.equal(false);
  });

  it('compares unquoted times of any fraction length at 100-ns precision', () => {
    expect(matches('lastUpdateDateTime gt 2024-05-01T10:00:00.123456Z', alert)).to.equal(true);
    expect(matches('lastUpdateDateTime gt 2024-05-01T10:00:00.1234567Z', alert)).to.equal(false);
    expect(matches('lastUpdateDateTime le 2024-05-01T12:00:00+02:00', alert)).to.equal(false);
    expect(matches('lastUpdateDateTime le 2024-05-01T12:01:00+02:00', alert)).to.equal(true);
  });

  it('rejects a quoted time, naming the property and the fix', () => {
    expect(() => parseFilter("lastUpdateDateTime gt '2024-05-01T00:00:00Z'", graph)).to.throw(
      FilterError,
      /lastUpdateDateTime.*unquoted/,
    );
  });

  it('rejects a property the api cannot filter on', () => {
    expect(() => parseFilter("investigationState eq 'Running'", graph)).to.throw(
      FilterError,
      /'investigationState' is not filterable/,
    );
  });

  it('reads doubled quotes inside strings and compares null', () => {
    expect(matches("assignedTo eq 'O''Brien'", { assignedTo: "O'Brien" })).to.equal(true);
    expect(matches('assignedTo eq null', alert)).to.equal(true);
    expect(matches("assignedTo ne 'x'", alert)).to.equal(true);
  });

  it('resolves MDE property names and enum values case-insensitively', () => {
    expect(matches("Status eq 'NEW' and investigationId eq 7", { status: 'New', investigationId: 7 }, mde)).to.equal(
      true,
    );
  });

  it('rejects syntax errors', () => {
    for (const bad of ['', 'status eq', "status eq 'x", "(status eq 'x'", "status like 'x'", "status eq 'x' garbage"]) {
      expect(() => parseFilter(bad, graph), bad).to.throw(FilterError);
    }
  });

  it('extracts the time range of the top-level and chain', () => {
    const node = parseFilter(
      "lastUpdateDateTime ge 2024-05-01T00:00:00Z and lastUpdateDateTime lt 2024-05-02T00:00:00Z and status eq 'new'",
      graph,
    );
    const bounds = extractTimeBounds(node, 'lastUpdateDateTime');
    expect(bounds.lower).to.deep.equal({ t: t('2024-05-01T00:00:00Z'), inclusive: true });
    expect(bounds.upper).to.deep.equal({ t: t('2024-05-02T00:00:00Z'), inclusive: false });
    expect(bounds.exact).to.equal(false);
    const orNode = parseFilter("lastUpdateDateTime ge 2024-05-01T00:00:00Z or status eq 'new'", graph);
    expect(extractTimeBounds(orNode, 'lastUpdateDateTime')).to.deep.equal({ exact: false });
  });
});
