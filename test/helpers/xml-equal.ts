/**
 * XML comparison the way the Splunk SDKs compare their golden files: attribute order free, children in order,
 * whitespace-only text ignored, line ends normalised (the parser does it), declarations and comments ignored.
 * Both sides are rendered to a canonical indented form, so a failure shows a readable line diff.
 */
import { expect } from 'chai';
import { SaxesParser } from 'saxes';

/** Asserts that two XML documents (or fragments with one root) are equal in the SDK sense. */
export function expectXmlEqual(actual: string | Buffer, expected: string | Buffer, message?: string): void {
  expect(canonicalXml(actual, 'actual'), message).to.equal(canonicalXml(expected, 'expected'));
}

/** The canonical rendering used by expectXmlEqual: one node per line, attributes sorted, text JSON-quoted. */
export function canonicalXml(xml: string | Buffer, label = 'document'): string {
  const text = typeof xml === 'string' ? xml : xml.toString('utf8');
  const parser = new SaxesParser({ position: true });
  const lines: string[] = [];
  let depth = 0;
  let pendingText = '';
  const flushText = () => {
    if (pendingText.trim() !== '') lines.push(`${'  '.repeat(depth)}${JSON.stringify(pendingText)}`);
    pendingText = '';
  };
  parser.on('error', (error) => {
    throw new Error(`${label} is not well-formed XML: ${error.message}`);
  });
  parser.on('opentag', (tag) => {
    flushText();
    const attributes = Object.entries(tag.attributes as Record<string, string>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ` ${name}=${JSON.stringify(value)}`)
      .join('');
    lines.push(`${'  '.repeat(depth)}<${tag.name}${attributes}>`);
    depth++;
  });
  parser.on('closetag', () => {
    flushText();
    depth--;
  });
  parser.on('text', (chunk) => {
    pendingText += chunk;
  });
  parser.on('cdata', (chunk) => {
    pendingText += chunk;
  });
  parser.write(text.replace(/^\uFEFF/, '')).close();
  return lines.join('\n');
}
