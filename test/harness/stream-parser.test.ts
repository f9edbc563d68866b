import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../helpers/built-app.js';
import { parseSplunkStream } from '../helpers/stream-parser.js';

const JS_SET = join(SHARED_DIR, 'fixtures', 'splunk-sdk-javascript-modinput');
const ev = (data: string, extra = '') =>
  `<event stanza="defender_alerts://p" unbroken="1">${extra}<data>${data}</data><done/></event>`;
const parseError = (text: string | Buffer) => {
  try {
    parseSplunkStream(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the stream to be rejected');
};

describe('test helper: parseSplunkStream', () => {
  it('reads the SDK stream fixtures, CRLF and indentation included', () => {
    const { events, closed } = parseSplunkStream(readFileSync(join(JS_SET, 'stream_with_five_events.xml')));
    expect(closed).to.equal(true);
    expect(events.map((e) => e.data.slice(-1))).to.deep.equal(['1', '2', '3', '4', '5']);
    expect(events[0]).to.deep.equal({
      stanza: 'fubar',
      unbroken: true,
      time: '1372275124.466',
      source: 'hilda',
      sourcetype: 'misc',
      index: 'main',
      host: 'localhost',
      data: 'This is a test of the emergency broadcast system. 1',
      done: true,
    });
  });

  it('accepts several <stream> documents in a row with whitespace between (solnlib framing)', () => {
    const { events, closed } = parseSplunkStream(`<stream>${ev('a')}</stream>\n<stream>${ev('b')}</stream>\n`);
    expect(closed).to.equal(true);
    expect(events.map((e) => e.data)).to.deep.equal(['a', 'b']);
  });

  it('treats empty output as a complete stream with no events', () => {
    expect(parseSplunkStream('')).to.deep.equal({ events: [], closed: true });
  });

  it('decodes entities and keeps &#13; as CR', () => {
    expect(parseSplunkStream(`<stream>${ev('A &amp; B &lt;x&gt; a&#13;\nb')}</stream>`).events[0]!.data).to.equal(
      'A & B <x> a\r\nb',
    );
  });

  it('counts complete events and drops a trailing partial one when the output was cut off', () => {
    for (const tail of [
      '<event stanza="defender_alerts://p" unbroken="1"><data>hal',
      '<eve',
      '<event stanza="x"><data>y</data><done/></ev',
    ]) {
      const { events, closed } = parseSplunkStream(`<stream>${ev('a')}${ev('b')}${tail}`);
      expect(closed, tail).to.equal(false);
      expect(
        events.map((e) => e.data),
        tail,
      ).to.deep.equal(['a', 'b']);
    }
  });

  it('tolerates a UTF-8 character cut in half at the end of a killed run, but not inside a complete stream', () => {
    const cut = Buffer.concat([
      Buffer.from(`<stream>${ev('a')}<event stanza="x"><data>`),
      Buffer.from('\u00FC').subarray(0, 1),
    ]);
    expect(parseSplunkStream(cut).events).to.have.length(1);
    expect(parseError(Buffer.concat([Buffer.from(`<stream>${ev('a')}</stream>`), Buffer.from([0xc3])]))).to.match(
      /not valid UTF-8/,
    );
    expect(parseError(Buffer.from([0x3c, 0xff, 0x3e]))).to.match(/not valid UTF-8/);
  });

  const rejections: Array<[string, string, RegExp]> = [
    ['a forbidden character', `<stream>${ev('a\u0001')}</stream>`, /^Event stream, 1:\d+: disallowed character/],
    ['a forbidden character reference', `<stream>${ev('a&#1;')}</stream>`, /malformed character entity/],
    ['a bare &', `<stream>${ev('a & b')}</stream>`, /^Event stream, 1:66: a bare &/],
    ['a bare & in output cut off later', `<stream>${ev('a & b')}${ev('c')}<ev`, /^Event stream, 1:66: a bare &/],
    [
      'an XML declaration in the stream',
      `<stream>${ev('a')}</stream><?xml version="1.0"?><stream></stream>`,
      /XML declaration/,
    ],
    [
      'an unknown element in <event>',
      `<stream>${ev('a', '<priority>1</priority>')}</stream>`,
      /<priority> inside <event>/,
    ],
    ['an unknown element in <stream>', `<stream><evnt/></stream>`, /<evnt> inside <stream>/],
    ['another top-level element', `<events/>`, /<events> at top level/],
    ['text between events', `<stream>${ev('a')}junk${ev('b')}</stream>`, /text "junk" outside an event field/],
    ['an event without data', `<stream><event stanza="x"><time>1.0</time></event></stream>`, /<event> without <data>/],
    ['an event without stanza', `<stream><event><data>a</data></event></stream>`, /without stanza=/],
    [
      'an unknown attribute',
      `<stream><event stanza="x" foo="1"><data>a</data></event></stream>`,
      /unknown attribute foo=/,
    ],
    ['a duplicate field', `<stream>${ev('a', '<host>h</host><host>i</host>')}</stream>`, /a second <host>/],
    ['a malformed time', `<stream>${ev('a', '<time>2024-05-01T10:00:00Z</time>')}</stream>`, /is not epoch seconds/],
    ['markup inside a field', `<stream>${ev('<b>x</b>')}</stream>`, /<b> inside <data>/],
    [
      'text in <done>',
      `<stream><event stanza="x"><data>a</data><done>yes</done></event></stream>`,
      /<done> must be empty/,
    ],
    ['a mismatched close tag', `<stream>${ev('a')}</strem>`, /Event stream, 1:\d+/],
  ];
  for (const [what, text, pattern] of rejections) {
    it(`rejects ${what}, with its position`, () => {
      expect(parseError(text))
        .to.match(pattern)
        .and.match(/^Event stream, \d+:\d+: /);
    });
  }
});
