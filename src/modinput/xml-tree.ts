/** A minimal element tree built with saxes (strict XML 1.0), for the small documents splunkd sends on stdin. */
import { SaxesParser } from 'saxes';
import { ModinputProtocolError } from './protocol-error.js';

/** One element: its attributes, child elements and the concatenation of its own text (comments dropped). */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
  /** 1-based position of the start tag, for error messages. */
  line: number;
  column: number;
}

/**
 * Parses one complete XML document into a tree. `what` names the document in errors ("input definition").
 * Throws ModinputProtocolError with saxes' line:column message for anything not well-formed.
 */
export function parseXmlTree(text: string, what: string): XmlElement {
  if (text.trim() === '')
    throw new ModinputProtocolError('input_malformed', `The ${what} is empty: nothing arrived on stdin.`);
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.on('error', (error) => {
    throw new ModinputProtocolError('input_malformed', `The ${what} is not well-formed XML: ${error.message}`, {
      cause: error,
    });
  });
  parser.on('opentag', (tag) => {
    const element: XmlElement = {
      name: tag.name,
      attributes: { ...(tag.attributes as Record<string, string>) },
      children: [],
      text: '',
      line: parser.line,
      column: parser.column,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const appendText = (chunk: string) => {
    const current = stack[stack.length - 1];
    if (current) current.text += chunk;
  };
  parser.on('text', appendText);
  parser.on('cdata', appendText);
  parser.write(text).close();
  return root!; // saxes has already thrown if there was no root element
}

/** `<name>` at line:column, for error messages. */
export function describeElement(element: XmlElement): string {
  return `<${element.name}> at line ${element.line}, column ${element.column}`;
}
