import { expect } from 'chai';
import { enqueuedTimeText, recordTexts, recordTime, splitMessage } from '../../../src/eventhubs/records.js';

const ENQUEUED = Date.UTC(2026, 11, 4, 10, 0, 9, 500);

describe('eventhubs/records: one message → its records', () => {
  it('splits records[] into each record exactly as served, one line each', () => {
    const body =
      '{"records":[{"time":"2026-12-04T10:00:00Z","category":"AdvancedHunting-DeviceProcessEvents","properties":{"Timestamp":"2026-12-04T09:59:59.1234567Z","N":12345678901234567890}},' +
      '{"category":"AdvancedHunting-X","properties":{"s":"a \\"quoted\\" ] } text"}}]}';
    const split = splitMessage(Buffer.from(body), ENQUEUED);
    expect(split.kind).to.equal('records');
    if (split.kind !== 'records') return;
    expect(split.records.map((r) => r.json)).to.deep.equal([
      '{"time":"2026-12-04T10:00:00Z","category":"AdvancedHunting-DeviceProcessEvents","properties":{"Timestamp":"2026-12-04T09:59:59.1234567Z","N":12345678901234567890}}',
      '{"category":"AdvancedHunting-X","properties":{"s":"a \\"quoted\\" ] } text"}}',
    ]);
    expect(split.records.map((r) => r.category)).to.deep.equal([
      'AdvancedHunting-DeviceProcessEvents',
      'AdvancedHunting-X',
    ]);
    expect(split.records[0]!.time).to.equal('1796378399.1234567');
    // No Timestamp, no time: the enqueued time.
    expect(split.records[1]!.time).to.equal('1796378409.500');
  });

  it('finds records wherever the key sits, and puts a pretty-printed record on one line', () => {
    const body = '{ "other": [1, {"records": 2}],\n  "records" : [\n {\n "a": 1,\n "b": [1, 2]\n }\n ] }';
    const split = splitMessage(body, ENQUEUED);
    expect(split.kind).to.equal('records');
    if (split.kind === 'records') expect(split.records.map((r) => r.json)).to.deep.equal(['{"a":1,"b":[1,2]}']);
  });

  it('keeps scalars and arrays inside records[] as events too', () => {
    expect(recordTexts(Buffer.from('{"records":[1,"x",[2],null]}'))).to.deep.equal(['1', '"x"', '[2]', 'null']);
  });

  it('writes anything that is not {"records":[…]} whole, with the reason', () => {
    for (const [body, reason] of [
      ['not json', 'not JSON'],
      ['[{"records":[]}]', 'not a JSON object'],
      ['{"value":[1]}', 'no records array'],
      ['{"records":{"a":1}}', 'no records array'],
    ] as const) {
      const split = splitMessage(body, ENQUEUED);
      expect(split.kind, body).to.equal('other');
      if (split.kind === 'other') {
        expect(split.text).to.equal(body);
        expect(split.reason).to.include(reason);
        expect(split.time).to.equal(enqueuedTimeText(ENQUEUED));
      }
    }
  });

  it('takes <time> from properties.Timestamp, else time, else nothing', () => {
    expect(recordTime({ time: '2026-12-04T10:00:00Z', properties: { Timestamp: '2026-12-04T09:00:00.5Z' } })).to.equal(
      '1796374800.5000000',
    );
    expect(recordTime({ time: '2026-12-04T10:00:00Z', properties: { Timestamp: 'garbage' } })).to.equal(
      '1796378400.0000000',
    );
    expect(recordTime({ time: 42, properties: null })).to.equal(undefined);
    expect(recordTime(undefined)).to.equal(undefined);
  });

  it('an empty records array is a message with no events', () => {
    const split = splitMessage('{"records":[]}', ENQUEUED);
    expect(split).to.deep.equal({ kind: 'records', records: [] });
  });
});
