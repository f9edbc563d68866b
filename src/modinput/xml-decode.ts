/** Bytes on stdin → text, before any XML parsing. */
import { ModinputProtocolError } from './protocol-error.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes the XML splunkd (or a test) wrote on stdin. The byte-order mark decides: UTF-8 (BOM optional, the default),
 * UTF-16 BE or LE. The XML declaration's `encoding` is deliberately not trusted: the JS SDK fixtures declare utf-16
 * over ASCII bytes, and splunkd always sends UTF-8. UTF-16 without a BOM is recognised from its `<` byte pattern.
 * Throws ModinputProtocolError on bytes that are not valid in the chosen encoding.
 */
export function decodeXmlBytes(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return decodeUtf16(buf.subarray(2), 'be');
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return decodeUtf16(buf.subarray(2), 'le');
  if (buf.length >= 2 && buf[0] === 0x00 && buf[1] === 0x3c) return decodeUtf16(buf, 'be');
  if (buf.length >= 2 && buf[0] === 0x3c && buf[1] === 0x00) return decodeUtf16(buf, 'le');
  try {
    return UTF8.decode(buf); // strips a UTF-8 BOM
  } catch (error) {
    throw new ModinputProtocolError(
      'input_malformed',
      'The XML on stdin is not valid UTF-8; splunkd sends UTF-8, so check what is piped into the script.',
      { cause: error },
    );
  }
}

function decodeUtf16(body: Buffer, order: 'be' | 'le'): string {
  if (body.length % 2 !== 0) {
    throw new ModinputProtocolError(
      'input_malformed',
      `The XML on stdin looks like UTF-16 ${order.toUpperCase()} but has an odd number of bytes (${body.length}); the input was cut off.`,
    );
  }
  if (order === 'le') return body.toString('utf16le');
  // Node has no utf16be codec without full ICU; swapping into a copy is cheap for input this small.
  const swapped = Buffer.from(body);
  swapped.swap16();
  return swapped.toString('utf16le');
}
