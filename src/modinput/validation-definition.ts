/** --validate-arguments: the `<items>` document splunkd writes on stdin. */
import { expectRoot, readMetadata, readStanza } from './definition-xml.js';
import { ModinputProtocolError } from './protocol-error.js';
import type { ValidationDefinition } from './scheme-types.js';
import { parseXmlTree } from './xml-tree.js';

const WHAT = 'validation request';

/**
 * Parses the validation request (decode bytes first with decodeXmlBytes). splunkd sends exactly one `<item>`; zero
 * or several are an error, since validating only one of several would silently accept the rest.
 */
export function parseValidationDefinition(xml: string): ValidationDefinition {
  const root = parseXmlTree(xml, WHAT);
  expectRoot(root, 'items', WHAT);
  const metadata = readMetadata(root, WHAT);
  const items = root.children.filter((child) => child.name === 'item');
  if (items.length !== 1) {
    throw new ModinputProtocolError(
      'input_malformed',
      `The ${WHAT} must hold exactly one <item> under <items>, but holds ${items.length}.`,
    );
  }
  return { ...metadata, item: readStanza(items[0]!) };
}
