/** What `<input>` (run mode) and `<items>` (--validate-arguments) have in common: metadata and stanza parameters. */
import { ModinputProtocolError } from './protocol-error.js';
import type { StanzaDefinition } from './scheme-types.js';
import { describeElement, type XmlElement } from './xml-tree.js';

/** The four metadata values splunkd sends before the configuration. */
export interface DefinitionMetadata {
  serverHost: string;
  serverUri: string;
  sessionKey: string;
  checkpointDir: string;
}

const METADATA_TAGS = {
  server_host: 'serverHost',
  server_uri: 'serverUri',
  session_key: 'sessionKey',
  checkpoint_dir: 'checkpointDir',
} as const;

/** Throws unless the document element is `<expected>`. */
export function expectRoot(root: XmlElement, expected: string, what: string): void {
  if (root.name !== expected) {
    throw new ModinputProtocolError(
      'input_malformed',
      `The ${what} must be an <${expected}> document, but its root is ${describeElement(root)}.`,
    );
  }
}

/** Reads the metadata children by name (their order is not relied on); every one of them must be present. */
export function readMetadata(root: XmlElement, what: string): DefinitionMetadata {
  const found: Partial<DefinitionMetadata> = {};
  for (const child of root.children) {
    const key = METADATA_TAGS[child.name as keyof typeof METADATA_TAGS];
    if (key) found[key] = child.text.trim();
  }
  const missing = Object.entries(METADATA_TAGS)
    .filter(([, key]) => found[key] === undefined)
    .map(([tag]) => `<${tag}>`);
  if (missing.length > 0) {
    throw new ModinputProtocolError(
      'input_malformed',
      `The ${what} lacks ${missing.join(', ')} under <${root.name}>; splunkd always sends them (see \`splunk cmd splunkd print-modinput-config\`).`,
    );
  }
  return found as DefinitionMetadata;
}

/**
 * Reads a `<stanza>` or `<item>`: `name` (required), `app` (optional) and its `<param>` / `<param_list>` children.
 * Any other child element is an error, as in the SDK parsers. Parameter text is kept verbatim (splunkd sends
 * values as the admin wrote them; trimming is config's business).
 */
export function readStanza(element: XmlElement): StanzaDefinition {
  const name = requireAttribute(element, 'name');
  const params: Record<string, string | string[]> = {};
  for (const child of element.children) {
    if (child.name === 'param') {
      params[requireAttribute(child, 'name')] = child.text;
    } else if (child.name === 'param_list') {
      params[requireAttribute(child, 'name')] = child.children.map((value) => {
        if (value.name !== 'value') throw unexpected(value, `<param_list name="${child.attributes.name}">`, '<value>');
        return value.text;
      });
    } else {
      throw unexpected(child, `<${element.name} name="${name}">`, '<param> and <param_list>');
    }
  }
  return { name, app: element.attributes.app, params };
}

function requireAttribute(element: XmlElement, attribute: string): string {
  const value = element.attributes[attribute];
  if (value === undefined) {
    throw new ModinputProtocolError(
      'input_malformed',
      `${describeElement(element)} has no ${attribute}= attribute; splunkd always names it.`,
    );
  }
  return value;
}

function unexpected(child: XmlElement, parent: string, allowed: string): ModinputProtocolError {
  return new ModinputProtocolError(
    'input_malformed',
    `Unexpected element ${describeElement(child)} inside ${parent}: only ${allowed} are allowed there.`,
  );
}
