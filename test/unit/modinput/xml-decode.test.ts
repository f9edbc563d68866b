import { expect } from 'chai';
import { ModinputProtocolError } from '../../../src/modinput/protocol-error.js';
import { decodeXmlBytes } from '../../../src/modinput/xml-decode.js';
import { PYTHON_SET, readFixture } from './fixtures.js';

const TEXT = '<?xml version="1.0"?><input>f\u00FCr \u{1F600}</input>';

function utf16be(text: string, bom: boolean): Buffer {
  const bytes = Buffer.from(text, 'utf16le').swap16();
  return bom ? Buffer.concat([Buffer.from([0xfe, 0xff]), bytes]) : bytes;
}

describe('modinput/xml-decode', () => {
  it('decodes UTF-8 with and without a byte-order mark', () => {
    expect(decodeXmlBytes(Buffer.from(TEXT, 'utf8'))).to.equal(TEXT);
    expect(decodeXmlBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')]))).to.equal(TEXT);
  });

  it('decodes UTF-16 big- and little-endian from the byte-order mark', () => {
    expect(decodeXmlBytes(utf16be(TEXT, true))).to.equal(TEXT);
    expect(decodeXmlBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]))).to.equal(TEXT);
  });

  it('recognises UTF-16 without a byte-order mark from the leading "<"', () => {
    expect(decodeXmlBytes(utf16be(TEXT, false))).to.equal(TEXT);
    expect(decodeXmlBytes(Buffer.from(TEXT, 'utf16le'))).to.equal(TEXT);
  });

  it('decodes the python SDK fixtures (UTF-16 BE with BOM)', () => {
    expect(decodeXmlBytes(readFixture(PYTHON_SET, 'conf_with_2_inputs.xml'))).to.match(
      /^<\?xml version="1.0" encoding="utf-16"\?>\r?\n<input /,
    );
  });

  it('rejects bytes that are not UTF-8, saying what splunkd sends', () => {
    expect(() => decodeXmlBytes(Buffer.from([0x3c, 0x61, 0xff, 0x3e]))).to.throw(
      ModinputProtocolError,
      /not valid UTF-8/,
    );
  });

  it('rejects UTF-16 cut in the middle of a character', () => {
    expect(() => decodeXmlBytes(utf16be(TEXT, true).subarray(0, 9))).to.throw(
      ModinputProtocolError,
      /odd number of bytes/,
    );
  });
});
