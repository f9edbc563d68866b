import { expect } from 'chai';
import type { Api } from '../../../src/config/types.js';
import { parseApiTime } from '../../../src/defender/api-time.js';
import { keyFieldsOf, versionOf } from '../../../src/defender/alert-version.js';

/** The version of a whole alert: its key fields picked as the JSON splitter picks them (keyFieldsOf). */
function versionOfAlert(api: Api, alert: Record<string, unknown>): ReturnType<typeof versionOf> {
  const fields = keyFieldsOf(api);
  return versionOf(api, { id: alert[fields.id], time: alert[fields.time] });
}

describe('alert-version', () => {
  it('names the id and cursor fields of each api, as the JSON splitter must read them', () => {
    expect(keyFieldsOf('graph')).to.deep.equal({ id: 'id', time: 'lastUpdateDateTime' });
    expect(keyFieldsOf('mde')).to.deep.equal({ id: 'id', time: 'lastUpdateTime' });
    expect(keyFieldsOf('siem')).to.deep.equal({ id: 'FullId', time: 'LastProcessedTimeUtc' });
  });

  it('keys a graph alert by id and lastUpdateDateTime, at 100-ns precision', () => {
    const version = versionOfAlert('graph', {
      id: 'da1_2',
      lastUpdateDateTime: '2021-05-02T14:19:01.3266667Z',
      lastUpdateTime: 'x',
    });
    expect(version).to.deep.equal({
      id: 'da1_2',
      time: parseApiTime('2021-05-02T14:19:01.3266667Z'),
      timeText: '2021-05-02T14:19:01.3266667Z',
    });
  });

  it('keys an mde alert by id and lastUpdateTime with a short fraction', () => {
    const version = versionOfAlert('mde', { id: 'da6374_1', lastUpdateTime: '2021-01-26T20:33:59.2Z' });
    expect(version).to.deep.include({ id: 'da6374_1', time: parseApiTime('2021-01-26T20:33:59.2000000Z') });
  });

  it('keys a siem detection by FullId, not the AlertId its sibling detections share', () => {
    const base = { AlertId: 'da637_163', LastProcessedTimeUtc: '2020-09-30T14:11:44.0779765Z' };
    const a = versionOfAlert('siem', { ...base, FullId: 'da637_163:R4x=' });
    const b = versionOfAlert('siem', { ...base, FullId: 'da637_163:Q9z=' });
    expect(a).to.have.property('id', 'da637_163:R4x=');
    expect(b).to.have.property('id', 'da637_163:Q9z=');
  });

  it('reads a siem time without a zone as UTC', () => {
    const version = versionOfAlert('siem', { FullId: 'f', LastProcessedTimeUtc: '2020-09-30T14:11:44.077' });
    expect(version).to.have.property('time', parseApiTime('2020-09-30T14:11:44.077Z'));
  });

  const problems: [string, Api, Record<string, unknown>, RegExp][] = [
    [
      'a missing id',
      'graph',
      { lastUpdateDateTime: '2021-05-02T14:19:01Z' },
      /"id" is missing; expected a non-empty string/,
    ],
    ['an empty id', 'mde', { id: '', lastUpdateTime: '2021-05-02T14:19:01Z' }, /"id" is empty/],
    ['a numeric id', 'mde', { id: 42, lastUpdateTime: '2021-05-02T14:19:01Z' }, /"id" is 42/],
    ['a missing FullId', 'siem', { AlertId: 'a', LastProcessedTimeUtc: '2020-09-30T14:11:44Z' }, /"FullId" is missing/],
    ['a missing time', 'graph', { id: 'a' }, /alert a: "lastUpdateDateTime" is missing; expected an ISO-8601 time/],
    ['a null time', 'mde', { id: 'a', lastUpdateTime: null }, /"lastUpdateTime" is null/],
    [
      'an unparsable time',
      'siem',
      { FullId: 'f', LastProcessedTimeUtc: 'yesterday' },
      /"LastProcessedTimeUtc" is "yesterday", which is not an ISO-8601 time/,
    ],
  ];
  for (const [name, api, alert, message] of problems) {
    it(`reports ${name}, naming the field`, () => {
      const version = versionOfAlert(api, alert);
      expect(version).to.have.property('problem').that.matches(message);
    });
  }

  it('shortens a huge bad value in the problem text', () => {
    const version = versionOf('graph', { id: 'a', time: 'x'.repeat(10_000) });
    expect((version as { problem: string }).problem.length).to.be.below(200);
  });
});
