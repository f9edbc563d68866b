/** Run mode: the `<input>` document splunkd writes on stdin. */
import { expectRoot, readMetadata, readStanza } from './definition-xml.js';
import { ModinputProtocolError } from './protocol-error.js';
import type { InputDefinition } from './scheme-types.js';
import { describeElement, parseXmlTree } from './xml-tree.js';

const WHAT = 'input definition';

/**
 * Parses the run-mode input definition (decode bytes first with decodeXmlBytes). `<configuration/>` may be empty
 * (right after install): the result then has no stanzas. Throws ModinputProtocolError naming the element and its
 * position for anything else unexpected.
 */
export function parseInputDefinition(xml: string): InputDefinition {
  const root = parseXmlTree(xml, WHAT);
  expectRoot(root, 'input', WHAT);
  const metadata = readMetadata(root, WHAT);
  const configuration = root.children.find((child) => child.name === 'configuration');
  if (!configuration) {
    throw new ModinputProtocolError(
      'input_malformed',
      `The ${WHAT} has no <configuration> under <input>; splunkd always sends one (possibly empty).`,
    );
  }
  const stanzas = configuration.children.map((child) => {
    if (child.name !== 'stanza') {
      throw new ModinputProtocolError(
        'input_malformed',
        `Unexpected element ${describeElement(child)} inside <configuration>: only <stanza> is allowed there.`,
      );
    }
    return readStanza(child);
  });
  return { ...metadata, stanzas };
}
