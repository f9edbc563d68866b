/**
 * A STRICT reader of the modular input's stdout, as splunkd consumes it: one or more `<stream>` documents with only
 * whitespace between them, each holding `<event>` elements. Anything malformed, any character XML 1.0 forbids, any
 * unknown element or attribute, a declaration or text out of place throws with its line:column. splunkd indexes an
 * event when its `</event>` arrives, so when the output was cut off (a killed process) the complete events count
 * and a trailing partial event is dropped.
 */
import { SaxesParser } from 'saxes';

/** One event as splunkd would index it. */
export interface ParsedEvent {
  stanza: string;
  unbroken: boolean;
  time?: string;
  sourcetype?: string;
  index?: string;
  host?: string;
  source?: string;
  data: string;
  /** `<done/>` was present. */
  done: boolean;
}

/** The events and whether every `<stream>` that was opened was also closed (true for empty output too). */
export interface ParsedStream {
  events: ParsedEvent[];
  closed: boolean;
}

const FIELDS = ['time', 'source', 'sourcetype', 'index', 'host', 'data'] as const;
type Field = (typeof FIELDS)[number];
const EVENT_ATTRIBUTES = new Set(['stanza', 'unbroken']);
const TIME = /^\d+(\.\d+)?$/;

/** Parses the stdout of a run; throws an Error naming the position of the first problem. */
export function parseSplunkStream(stdout: string | Buffer): ParsedStream {
  const { text, cutBytes } = typeof stdout === 'string' ? { text: stdout, cutBytes: 0 } : decodeOutput(stdout);
  const parser = new SaxesParser({ position: true, fragment: true });
  const events: ParsedEvent[] = [];
  const path: string[] = [];
  let event: (Partial<ParsedEvent> & { seen: Set<string> }) | undefined;
  let fieldText = '';
  const fail = (message: string): never => {
    throw new Error(`Event stream, ${parser.line}:${parser.column}: ${message}`);
  };

  parser.on('error', (error) => fail(error.message.replace(/^\d+:\d+: /, '')));
  parser.on('xmldecl', () => fail('an XML declaration inside the event stream'));
  parser.on('processinginstruction', () => fail('a processing instruction inside the event stream'));
  parser.on('doctype', () => fail('a DOCTYPE inside the event stream'));
  parser.on('opentag', (tag) => {
    const parent = path[path.length - 1];
    const attributes = tag.attributes as Record<string, string>;
    if (parent === undefined) {
      if (tag.name !== 'stream') fail(`<${tag.name}> at top level; only <stream> is allowed`);
      if (Object.keys(attributes).length > 0) fail('<stream> takes no attributes');
    } else if (parent === 'stream') {
      if (tag.name !== 'event') fail(`<${tag.name}> inside <stream>; only <event> is allowed`);
      for (const name of Object.keys(attributes))
        if (!EVENT_ATTRIBUTES.has(name)) fail(`unknown attribute ${name}= on <event>`);
      if (attributes.stanza === undefined) fail('<event> without stanza=');
      if (attributes.unbroken !== undefined && attributes.unbroken !== '0' && attributes.unbroken !== '1')
        fail(`unbroken="${attributes.unbroken}" (expected 0 or 1)`);
      event = { stanza: attributes.stanza, unbroken: attributes.unbroken === '1', done: false, seen: new Set() };
    } else if (parent === 'event') {
      if (!(FIELDS as readonly string[]).includes(tag.name) && tag.name !== 'done')
        fail(`<${tag.name}> inside <event>; allowed: ${FIELDS.join(', ')}, done`);
      if (event!.seen.has(tag.name)) fail(`a second <${tag.name}> in one <event>`);
      if (Object.keys(attributes).length > 0) fail(`<${tag.name}> takes no attributes`);
      event!.seen.add(tag.name);
      fieldText = '';
    } else {
      fail(`<${tag.name}> inside <${parent}>; event fields hold text only`);
    }
    path.push(tag.name);
  });
  parser.on('text', (chunk) => onText(chunk));
  parser.on('cdata', (chunk) => onText(chunk));
  function onText(chunk: string): void {
    const current = path[path.length - 1];
    if (current === undefined || current === 'stream' || current === 'event') {
      if (chunk.trim() !== '') fail(`text ${JSON.stringify(chunk.trim().slice(0, 40))} outside an event field`);
    } else if (current === 'done') {
      fail('<done> must be empty');
    } else {
      fieldText += chunk;
    }
  }
  parser.on('closetag', (tag) => {
    path.pop();
    if (tag.name === 'event') {
      const { seen, ...complete } = event!;
      if (!seen.has('data')) fail('<event> without <data>');
      events.push(complete as ParsedEvent);
      event = undefined;
    } else if (tag.name === 'done') {
      event!.done = true;
    } else if ((FIELDS as readonly string[]).includes(tag.name) && path[path.length - 1] === 'event') {
      if (tag.name === 'time' && !TIME.test(fieldText)) fail(`<time>${fieldText}</time> is not epoch seconds`);
      event![tag.name as Field] = fieldText;
    }
  });

  parser.write(text);
  const closed = path.length === 0;
  checkAmpersands(text, closed);
  if (closed && cutBytes > 0) throw new Error('Event stream: the output is not valid UTF-8 at its end');
  if (closed) parser.close();
  return { events, closed };
}

const BAD_AMPERSAND = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/g;

/**
 * saxes reads a bare `&` as the start of an entity and waits for its `;`, so on output that ends without `</stream>`
 * it would look like a cut-off stream instead of the bug it is. Only a partial entity in the dropped tail is allowed.
 */
function checkAmpersands(text: string, closed: boolean): void {
  const tailStart = closed ? text.length : text.lastIndexOf('</event>');
  for (const match of text.matchAll(BAD_AMPERSAND)) {
    if (match.index >= tailStart) break;
    const before = text.slice(0, match.index);
    const line = before.split('\n').length;
    const column = match.index - before.lastIndexOf('\n');
    throw new Error(`Event stream, ${line}:${column}: a bare & (not an entity reference)`);
  }
}

/**
 * UTF-8, strictly. A killed process may leave a character cut in half at the very end; that tail belongs to a
 * partial event, so up to 3 trailing bytes are dropped before giving up.
 */
function decodeOutput(bytes: Buffer): { text: string; cutBytes: number } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let cut = 0; cut <= 3 && cut <= bytes.length; cut++) {
    try {
      return { text: decoder.decode(bytes.subarray(0, bytes.length - cut)), cutBytes: cut };
    } catch {
      // try a shorter tail
    }
  }
  throw new Error('Event stream: the output is not valid UTF-8');
}
