import { expect } from 'chai';
import { EventBytesEncoder } from '../../../src/modinput/event-bytes.js';
import { formatEvent } from '../../../src/modinput/event-xml.js';
import { ModinputProtocolError } from '../../../src/modinput/protocol-error.js';
import { JsonArraySplitter } from '../../../src/defender/json-array-stream.js';
import type { SplunkEvent } from '../../../src/ports.js';

function encode(encoder: EventBytesEncoder, event: SplunkEvent): Buffer {
  const size = encoder.measure(event);
  const out = Buffer.alloc(size + 4, 0x7e);
  const end = encoder.writeInto(out, 2);
  expect(end - 2, 'measured = written').to.equal(size);
  expect(out.subarray(end).toString('latin1')).to.equal('~~');
  return out.subarray(2, end);
}

/** Alert bytes with everything the escaper handles: entities, CR, C0, U+FFFE, a UTF-8 surrogate, a cut sequence. */
const HOSTILE = Buffer.concat([
  Buffer.from('{"id":"a&<b>","lastUpdateDateTime":"2024-05-01T10:00:00Z","t":"\r é中😀 \u2028 '),
  Buffer.from([0x01, 0xef, 0xbf, 0xbe, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98]),
  Buffer.from('"}'),
]);

/** The same without raw control characters, which JSON.parse (the key reader's slow path) refuses. */
const PARSEABLE = Buffer.concat([
  Buffer.from('{"id":"a&<b>","lastUpdateDateTime":"2024-05-01T10:00:00Z","t":"é中😀 \u2028 '),
  Buffer.from([0xef, 0xbf, 0xbe, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98]),
  Buffer.from('"}'),
]);

describe('modinput/event-bytes', () => {
  it('builds the same XML as formatEvent, from bytes and from text, stanza by stanza', () => {
    const encoder = new EventBytesEncoder();
    const events: SplunkEvent[] = [
      {
        stanza: 'defender_alerts://prod',
        time: '1714557600.000',
        sourcetype: 'ms:defender:graph:alerts',
        data: HOSTILE,
      },
      { stanza: 'defender_alerts://prod', time: '1714557601.000', sourcetype: 'ms:defender:graph:alerts', data: '{}' },
      { stanza: 'defender_alerts://"é"\t', sourcetype: 'x', index: 'sec', host: 'h<1>', source: 's&', data: HOSTILE },
      { stanza: 'defender_alerts://prod', time: '1.000', data: Buffer.from('{"a":1}') },
    ];
    for (const event of events) {
      expect(encode(encoder, event).toString('utf8')).to.equal(formatEvent(event));
    }
  });

  it('escapes an alert split across chunks at every position like the alert read in one piece', () => {
    const body = Buffer.concat([Buffer.from('['), PARSEABLE, Buffer.from(',{"id":"2","x":"\u00e9"}]')]);
    const whole = new JsonArraySplitter('array', { keyFields: { id: 'id', time: 'lastUpdateDateTime' } })
      .push(body)
      .map((a) => a.json);
    expect(whole[0]!.equals(PARSEABLE)).to.equal(true);
    const encoder = new EventBytesEncoder();
    const expected = whole.map((data) => encode(encoder, { stanza: 's', data }).toString('hex'));
    for (let cut = 1; cut < body.length; cut++) {
      const split = new JsonArraySplitter('array', { keyFields: { id: 'id', time: 'lastUpdateDateTime' } });
      const alerts = [...split.push(body.subarray(0, cut)), ...split.push(body.subarray(cut))];
      split.end();
      expect(
        alerts.map((a) => encode(encoder, { stanza: 's', data: a.json }).toString('hex')),
        `cut ${cut}`,
      ).to.deep.equal(expected);
    }
  });

  it('refuses empty data and a missing stanza as formatEvent does', () => {
    const encoder = new EventBytesEncoder();
    expect(() => encoder.measure({ stanza: 's', data: Buffer.alloc(0) })).to.throw(ModinputProtocolError, /empty data/);
    expect(() => encoder.measure({ stanza: '', data: Buffer.from('{}') })).to.throw(ModinputProtocolError, /stanza/);
  });
});
