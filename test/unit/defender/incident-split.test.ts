import { expect } from 'chai';
import { splitIncident as splitBytes } from '../../../src/defender/incident-split.js';

/** The splitter works on bytes; these cases read easier as text. */
function splitIncident(text: string): { incident: string; alerts: string[]; hadAlerts: boolean } {
  const parts = splitBytes(Buffer.from(text, 'utf8'));
  return { incident: parts.incident.toString('utf8'), alerts: parts.alerts.map(String), hadAlerts: parts.hadAlerts };
}

const A1 = '{"id":"a1","lastUpdateDateTime":"2024-05-01T10:00:00Z","title":"x \\" ] } [ { alerts"}';
const A2 = '{"id":"a2","evidence":[{"@odata.type":"#x","roles":["a","b"]}],"n":1.5e3,"ok":true,"no":null}';

describe('defender/incident-split', () => {
  for (const [label, text, incident] of [
    ['last', `{"id":"1","status":"active","alerts":[${A1},${A2}]}`, '{"id":"1","status":"active"}'],
    ['first', `{"alerts":[${A1},${A2}],"id":"1","status":"active"}`, '{"id":"1","status":"active"}'],
    ['in the middle', `{"id":"1","alerts":[${A1},${A2}],"status":"active"}`, '{"id":"1","status":"active"}'],
    ['the only member', `{"alerts":[${A1},${A2}]}`, '{}'],
  ] as const) {
    it(`cuts the alerts member when it is ${label}, keeping every other byte and each alert as served`, () => {
      const parts = splitIncident(text);
      expect(parts.incident).to.equal(incident);
      expect(parts.alerts).to.deep.equal([A1, A2]);
      expect(parts.hadAlerts).to.equal(true);
      expect(JSON.parse(parts.incident)).to.not.have.property('alerts');
    });
  }

  it('keeps whitespace, escapes and nested "alerts" keys of other members untouched', () => {
    const text = `{ "id" : "1", "note" : "has \\"alerts\\": [1]", "x" : { "alerts" : [ 1 ] } , "alerts" : [ ${A1} ] }`;
    const parts = splitIncident(text);
    expect(parts.incident).to.equal('{ "id" : "1", "note" : "has \\"alerts\\": [1]", "x" : { "alerts" : [ 1 ] } }');
    expect(parts.alerts).to.deep.equal([A1]);
  });

  it('reads an empty alerts array and an incident served without one', () => {
    expect(splitIncident('{"id":"1","alerts":[]}')).to.deep.equal({
      incident: '{"id":"1"}',
      alerts: [],
      hadAlerts: true,
    });
    expect(splitIncident('{"id":"1"}')).to.deep.equal({ incident: '{"id":"1"}', alerts: [], hadAlerts: false });
  });

  it('keeps multi-byte text and escaped unicode as served', () => {
    const alert = '{"id":"é🦠","t":"\\u2028\\ufffd"}';
    const parts = splitIncident(`{"displayName":"Wäcky 🦠","alerts":[${alert}]}`);
    expect(parts.incident).to.equal('{"displayName":"Wäcky 🦠"}');
    expect(parts.alerts).to.deep.equal([alert]);
  });

  it('refuses an alerts member that is not an array, and text that is not an object', () => {
    expect(() => splitIncident('{"id":"1","alerts":{"a":1}}')).to.throw(SyntaxError, /alerts is not an array/);
    expect(() => splitIncident('[1]')).to.throw(SyntaxError, /not a JSON object/);
    expect(() => splitIncident('{"id":"1","alerts":[{"a":1}')).to.throw(SyntaxError);
  });
});
