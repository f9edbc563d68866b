import { expect } from 'chai';
import { SaxesParser } from 'saxes';
import { escapeXmlAttribute, escapeXmlText, replaceForbiddenXmlChars } from '../../../src/modinput/xml-text.js';

/** What a strict XML 1.0 parser reads back from `<a b="attribute">text</a>`. */
function roundTrip(text: string, attribute: string): { text: string; attribute: string } {
  const parser = new SaxesParser();
  let readText = '';
  let readAttribute = '';
  parser.on('error', (error) => {
    throw error;
  });
  parser.on('opentag', (tag) => {
    readAttribute = (tag.attributes as Record<string, string>).b ?? '';
  });
  parser.on('text', (chunk) => {
    readText += chunk;
  });
  parser.write(`<a b="${escapeXmlAttribute(attribute)}">${escapeXmlText(text)}</a>`).close();
  return { text: readText, attribute: readAttribute };
}

const FORBIDDEN = [
  '\u0000',
  '\u0001',
  '\u0008',
  '\u000B',
  '\u000C',
  '\u000E',
  '\u001F',
  '\uFFFE',
  '\uFFFF',
  '\uD800',
  '\uDFFF',
];

describe('modinput/xml-text', () => {
  it('returns clean text unchanged (the per-event fast path)', () => {
    const clean = '{"id":"da637","title":"Suspicious \u00e9 activity \u{1F600}","tab":"\t"}';
    expect(escapeXmlText(clean)).to.equal(clean);
    expect(escapeXmlAttribute('defender_alerts://prod')).to.equal('defender_alerts://prod');
  });

  it('escapes & < > in text, including a CDATA terminator', () => {
    expect(escapeXmlText('A & B <x> ]]>')).to.equal('A &amp; B &lt;x&gt; ]]&gt;');
  });

  it('escapes quotes, tab and newline in attributes so they survive attribute normalisation', () => {
    expect(escapeXmlAttribute('a"b\tc\nd&<>')).to.equal('a&quot;b&#9;c&#xA;d&amp;&lt;&gt;');
  });

  for (const ch of FORBIDDEN) {
    const code = `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    it(`replaces the forbidden character ${code} with U+FFFD in text and attributes`, () => {
      expect(escapeXmlText(`a${ch}b`)).to.equal('a\uFFFDb');
      expect(escapeXmlAttribute(`a${ch}b`)).to.equal('a\uFFFDb');
    });
  }

  it('keeps a valid surrogate pair (emoji) and replaces only the unpaired halves around it', () => {
    expect(replaceForbiddenXmlChars('\uD83D\uDE00')).to.equal('\uD83D\uDE00');
    expect(replaceForbiddenXmlChars('\uDE00\uD83D\uDE00\uD83D')).to.equal('\uFFFD\uD83D\uDE00\uFFFD');
  });

  it('keeps a CR through a strict parser as &#13; (a raw CR would become LF)', () => {
    expect(escapeXmlText('a\r\nb\rc')).to.equal('a&#13;\nb&#13;c');
    expect(roundTrip('a\r\nb\rc', 'x\r\ny').text).to.equal('a\r\nb\rc');
    expect(roundTrip('', 'x\r\ny').attribute).to.equal('x\r\ny');
  });

  it('produces text a strict XML 1.0 parser accepts and reads back, whatever the input holds', () => {
    const hostile = `&<>"' ]]> \u2028 \r\n\t \u{1F4A9} ${FORBIDDEN.join('x')} \uFFFD end`;
    const expected = hostile.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\uD800|\uDFFF/g, '\uFFFD');
    expect(roundTrip(hostile, hostile)).to.deep.equal({ text: expected, attribute: expected });
  });
});
