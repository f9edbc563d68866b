import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatEvent } from '../../../src/modinput/event-xml.js';
import { ModinputProtocolError } from '../../../src/modinput/protocol-error.js';
import type { SplunkEvent } from '../../../src/ports.js';
import { parseSplunkStream } from '../../helpers/stream-parser.js';
import { expectXmlEqual } from '../../helpers/xml-equal.js';
import { JS_SET, SDK_SETS } from './fixtures.js';

const DATA = 'This is a test of the emergency broadcast system.';
const maximal = (time: string, data = DATA): SplunkEvent => ({
  stanza: 'fubar',
  time,
  source: 'hilda',
  sourcetype: 'misc',
  index: 'main',
  host: 'localhost',
  data,
});

describe('modinput/event-xml', () => {
  for (const { label, dir } of SDK_SETS) {
    it(`matches ${label} event_minimal.xml and event_maximal.xml`, () => {
      expectXmlEqual(
        formatEvent({ stanza: 'fubar', time: '1372187084.000', data: DATA }),
        readFileSync(join(dir, 'event_minimal.xml')),
      );
      expectXmlEqual(formatEvent(maximal('1372274622.493')), readFileSync(join(dir, 'event_maximal.xml')));
    });

    it(`matches ${label} stream_with_one_event.xml and stream_with_two_events.xml when framed`, () => {
      const event = formatEvent(maximal('1372275124.466'));
      expectXmlEqual(`<stream>${event}</stream>`, readFileSync(join(dir, 'stream_with_one_event.xml')));
      expectXmlEqual(`<stream>${event}${event}</stream>`, readFileSync(join(dir, 'stream_with_two_events.xml')));
    });
  }

  it('matches javascript stream_with_five_events.xml and stream_with_two_json_events.xml', () => {
    const five = [1, 2, 3, 4, 5].map((n) => formatEvent(maximal('1372275124.466', `${DATA} ${n}`))).join('');
    expectXmlEqual(`<stream>${five}</stream>`, readFileSync(join(JS_SET, 'stream_with_five_events.xml')));
    // The JS SDK accepted a JSON string and an object; our data is always text, so both arrive as JSON text.
    const json = ['{"some":"json"}', JSON.stringify({ some: 'json object' })];
    expectXmlEqual(
      `<stream>${json.map((data) => formatEvent(maximal('1372275124.466', data))).join('')}</stream>`,
      readFileSync(join(JS_SET, 'stream_with_two_json_events.xml')),
    );
  });

  it('writes only the fields present, leaving out empty optional ones', () => {
    expect(formatEvent({ stanza: 'defender_alerts://prod', data: 'x', host: '', index: '' })).to.equal(
      '<event stanza="defender_alerts://prod" unbroken="1"><data>x</data><done/></event>',
    );
  });

  it('escapes hostile text in every field so a strict reader gets it back', () => {
    const hostile = 'A & B <x> ]]> "q" \u2028 \r\n\u0001 \u{1F600}';
    const event: SplunkEvent = {
      stanza: `defender_alerts://${hostile}`,
      time: '1.000',
      source: hostile,
      sourcetype: hostile,
      index: hostile,
      host: hostile,
      data: hostile,
    };
    const cleaned = hostile.replace('\u0001', '\uFFFD');
    const [parsed] = parseSplunkStream(`<stream>${formatEvent(event)}</stream>`).events;
    expect(parsed).to.deep.equal({
      stanza: `defender_alerts://${cleaned}`,
      unbroken: true,
      time: '1.000',
      source: cleaned,
      sourcetype: cleaned,
      index: cleaned,
      host: cleaned,
      data: cleaned,
      done: true,
    });
  });

  it('rejects empty data, naming the stanza', () => {
    expect(() => formatEvent({ stanza: 'defender_alerts://prod', data: '' })).to.throw(
      ModinputProtocolError,
      /defender_alerts:\/\/prod has empty data/,
    );
  });

  it('rejects an event without a stanza', () => {
    expect(() => formatEvent({ stanza: '', data: 'x' })).to.throw(ModinputProtocolError, /no stanza/);
  });
});
