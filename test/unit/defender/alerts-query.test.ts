import { expect } from 'chai';
import { parseApiTime, type ApiTime } from '../../../src/defender/api-time.js';
import {
  buildGraphAlertsUrl,
  buildMdeAlertsUrl,
  buildSiemAlertsUrl,
  formatSiemTime,
} from '../../../src/defender/alerts-query.js';

const t = (text: string): ApiTime => {
  const time = parseApiTime(text);
  if (time === undefined) throw new Error(`bad test time ${text}`);
  return time;
};

const GRAPH = 'https://graph.microsoft.com/v1.0/security/alerts_v2';
const MDE = 'https://api.security.microsoft.com/api/alerts';
const SIEM = 'https://wdatp-alertexporter-eu.windows.com/api/alerts';

describe('alerts-query', () => {
  describe('buildGraphAlertsUrl', () => {
    const cases: { name: string; url: string; expected: string }[] = [
      {
        name: 'an open window: time filter, ascending order, page size',
        url: buildGraphAlertsUrl(GRAPH, { from: t('2024-05-01T10:00:00.1234567Z') }, { top: 1000 }),
        expected:
          `${GRAPH}?$filter=lastUpdateDateTime%20ge%202024-05-01T10:00:00.1234567Z` +
          '&$orderby=lastUpdateDateTime%20asc&$top=1000',
      },
      {
        name: 'a closed window with a user filter in parentheses',
        url: buildGraphAlertsUrl(
          GRAPH,
          { from: t('2024-05-01T10:00:00Z'), to: t('2024-05-01T11:00:00.5Z') },
          { top: 50, filter: " severity eq 'high' or status eq 'new' " },
        ),
        expected:
          `${GRAPH}?$filter=lastUpdateDateTime%20ge%202024-05-01T10:00:00.0000000Z` +
          '%20and%20lastUpdateDateTime%20lt%202024-05-01T11:00:00.5000000Z' +
          "%20and%20(severity%20eq%20'high'%20or%20status%20eq%20'new')" +
          '&$orderby=lastUpdateDateTime%20asc&$top=50',
      },
      {
        name: 'a page size above 1000 is clamped to 1000',
        url: buildGraphAlertsUrl(GRAPH, { from: t('2024-05-01T10:00:00Z') }, { top: 5000 }),
        expected: `${GRAPH}?$filter=lastUpdateDateTime%20ge%202024-05-01T10:00:00.0000000Z&$orderby=lastUpdateDateTime%20asc&$top=1000`,
      },
      {
        name: 'an empty user filter adds nothing',
        url: buildGraphAlertsUrl(GRAPH, { from: t('2024-05-01T10:00:00Z') }, { top: 10, filter: '  ' }),
        expected: `${GRAPH}?$filter=lastUpdateDateTime%20ge%202024-05-01T10:00:00.0000000Z&$orderby=lastUpdateDateTime%20asc&$top=10`,
      },
      {
        name: 'reserved characters of a filter are percent-encoded (& # + %)',
        url: buildGraphAlertsUrl(
          GRAPH,
          { from: t('2024-05-01T10:00:00Z') },
          { top: 10, filter: "title eq 'a&b#c+d%e'" },
        ),
        expected:
          `${GRAPH}?$filter=lastUpdateDateTime%20ge%202024-05-01T10:00:00.0000000Z` +
          "%20and%20(title%20eq%20'a%26b%23c%2Bd%25e')&$orderby=lastUpdateDateTime%20asc&$top=10",
      },
    ];
    for (const c of cases) it(`builds ${c.name}`, () => expect(c.url).to.equal(c.expected));

    it('reads back to the same filter through a standard URL parser', () => {
      const url = new URL(
        buildGraphAlertsUrl(GRAPH, { from: t('2024-05-01T10:00:00Z') }, { top: 10, filter: "a eq 'x y'" }),
      );
      expect(url.searchParams.get('$filter')).to.equal(
        "lastUpdateDateTime ge 2024-05-01T10:00:00.0000000Z and (a eq 'x y')",
      );
    });

    it('rejects a page size that is not a whole number of at least 1', () => {
      expect(() => buildGraphAlertsUrl(GRAPH, { from: 0n }, { top: 0 })).to.throw(RangeError, /\$top/);
      expect(() => buildGraphAlertsUrl(GRAPH, { from: 0n }, { top: 1.5 })).to.throw(RangeError, /\$top/);
    });
  });

  describe('buildMdeAlertsUrl', () => {
    it('builds the first page: time filter, evidence, page size, no $skip', () => {
      expect(buildMdeAlertsUrl(MDE, { from: t('2021-01-26T20:33:59.2Z') }, { top: 10000 })).to.equal(
        `${MDE}?$filter=lastUpdateTime%20ge%202021-01-26T20:33:59.2000000Z&$expand=evidence&$top=10000`,
      );
    });

    it('builds a later page of a closed, filtered window with $skip', () => {
      expect(
        buildMdeAlertsUrl(
          MDE,
          { from: t('2024-05-01T10:00:00Z'), to: t('2024-05-01T10:05:00.0000001Z') },
          { top: 200, skip: 396, filter: "status eq 'New'" },
        ),
      ).to.equal(
        `${MDE}?$filter=lastUpdateTime%20ge%202024-05-01T10:00:00.0000000Z%20and%20lastUpdateTime%20lt%202024-05-01T10:05:00.0000001Z` +
          "%20and%20(status%20eq%20'New')&$expand=evidence&$top=200&$skip=396",
      );
    });

    it('clamps the page size to 10000', () => {
      expect(buildMdeAlertsUrl(MDE, { from: 0n }, { top: 50000 })).to.match(/&\$top=10000$/);
    });

    it('rejects a negative $skip', () => {
      expect(() => buildMdeAlertsUrl(MDE, { from: 0n }, { top: 10, skip: -1 })).to.throw(RangeError, /\$skip/);
    });

    it('appends to an alerts URL that already has a query', () => {
      expect(buildMdeAlertsUrl(`${MDE}?tenant=x`, { from: 0n }, { top: 1 })).to.equal(
        `${MDE}?tenant=x&$filter=lastUpdateTime%20ge%201970-01-01T00:00:00.0000000Z&$expand=evidence&$top=1`,
      );
    });
  });

  describe('buildSiemAlertsUrl', () => {
    it('sends sinceTimeUtc alone for an open window, in the documented form', () => {
      expect(buildSiemAlertsUrl(SIEM, { from: t('2016-09-12T00:00:00Z') })).to.equal(
        `${SIEM}?sinceTimeUtc=2016-09-12T00:00:00.000`,
      );
    });

    it('floors the start and ceils the end to whole milliseconds', () => {
      expect(
        buildSiemAlertsUrl(SIEM, { from: t('2020-09-30T14:11:44.0779765Z'), to: t('2020-09-30T14:21:44.0770001Z') }),
      ).to.equal(`${SIEM}?sinceTimeUtc=2020-09-30T14:11:44.077&untilTimeUtc=2020-09-30T14:21:44.078`);
    });

    it('leaves a bound already on a millisecond unchanged both ways', () => {
      expect(formatSiemTime(t('2020-09-30T14:11:44.077Z'), 'floor')).to.equal('2020-09-30T14:11:44.077');
      expect(formatSiemTime(t('2020-09-30T14:11:44.077Z'), 'ceil')).to.equal('2020-09-30T14:11:44.077');
    });

    it('ceils across a second boundary', () => {
      expect(formatSiemTime(t('2020-09-30T14:11:59.9999999Z'), 'ceil')).to.equal('2020-09-30T14:12:00.000');
    });
  });
});
