/**
 * A strict, STREAMING reader of the modular input's stdout for benchmarks: the same rules as the tests'
 * parseSplunkStream (test/helpers/stream-parser.ts) — strict UTF-8, strict XML (saxes), only `<stream>` at top level,
 * only `<event stanza= unbroken=>` in it, only the known fields in an event, `<data>` present and non-empty, `<time>`
 * as epoch seconds — but fed chunk by chunk and keeping counts instead of events, so 1.5 GB of output never sits in
 * memory. Throws on the first problem, naming its line:column.
 */
import { SaxesParser } from 'saxes';

/** What the checker saw. */
export interface StreamCheckResult {
  events: number;
  /** Events per stanza name. */
  perStanza: Record<string, number>;
  /** UTF-8 bytes consumed. */
  bytes: number;
  /** Every `<stream>` opened was closed. */
  closed: boolean;
}

const FIELDS = new Set(['time', 'source', 'sourcetype', 'index', 'host', 'data']);
const TIME = /^\d+(\.\d+)?$/;

/** Push stdout chunks as they arrive, then call end(). */
export class StrictStreamCheck {
  readonly #parser = new SaxesParser({ position: true, fragment: true });
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #path: string[] = [];
  readonly #perStanza = new Map<string, number>();
  #events = 0;
  #bytes = 0;
  #stanza = '';
  #seen = new Set<string>();
  #fieldChars = 0;
  #timeText = '';

  constructor() {
    const parser = this.#parser;
    parser.on('error', (error) => this.#fail(error.message.replace(/^\d+:\d+: /, '')));
    parser.on('xmldecl', () => this.#fail('an XML declaration inside the event stream'));
    parser.on('processinginstruction', () => this.#fail('a processing instruction inside the event stream'));
    parser.on('doctype', () => this.#fail('a DOCTYPE inside the event stream'));
    parser.on('opentag', (tag) => {
      const path = this.#path;
      const parent = path[path.length - 1];
      const attributes = tag.attributes as Record<string, string>;
      if (parent === undefined) {
        if (tag.name !== 'stream') this.#fail(`<${tag.name}> at top level; only <stream> is allowed`);
        if (Object.keys(attributes).length > 0) this.#fail('<stream> takes no attributes');
      } else if (parent === 'stream') {
        if (tag.name !== 'event') this.#fail(`<${tag.name}> inside <stream>; only <event> is allowed`);
        for (const name of Object.keys(attributes))
          if (name !== 'stanza' && name !== 'unbroken') this.#fail(`unknown attribute ${name}= on <event>`);
        if (attributes.stanza === undefined) this.#fail('<event> without stanza=');
        if (attributes.unbroken !== undefined && attributes.unbroken !== '0' && attributes.unbroken !== '1')
          this.#fail(`unbroken="${attributes.unbroken}"`);
        this.#stanza = attributes.stanza!;
        this.#seen = new Set();
      } else if (parent === 'event') {
        if (!FIELDS.has(tag.name) && tag.name !== 'done') this.#fail(`<${tag.name}> inside <event>`);
        if (this.#seen.has(tag.name)) this.#fail(`a second <${tag.name}> in one <event>`);
        if (Object.keys(attributes).length > 0) this.#fail(`<${tag.name}> takes no attributes`);
        this.#seen.add(tag.name);
        this.#fieldChars = 0;
        this.#timeText = '';
      } else {
        this.#fail(`<${tag.name}> inside <${parent}>; event fields hold text only`);
      }
      path.push(tag.name);
    });
    const onText = (text: string) => {
      const current = this.#path[this.#path.length - 1];
      if (current === undefined || current === 'stream' || current === 'event') {
        if (text.trim() !== '') this.#fail(`text ${JSON.stringify(text.trim().slice(0, 40))} outside an event field`);
      } else if (current === 'done') {
        this.#fail('<done> must be empty');
      } else {
        this.#fieldChars += text.length;
        if (current === 'time') this.#timeText += text;
      }
    };
    parser.on('text', onText);
    parser.on('cdata', onText);
    parser.on('closetag', (tag) => {
      this.#path.pop();
      if (tag.name === 'event') {
        if (!this.#seen.has('data')) this.#fail('<event> without <data>');
        this.#events++;
        this.#perStanza.set(this.#stanza, (this.#perStanza.get(this.#stanza) ?? 0) + 1);
      } else if (tag.name === 'data' && this.#fieldChars === 0) {
        this.#fail('an empty <data>');
      } else if (tag.name === 'time' && !TIME.test(this.#timeText)) {
        this.#fail(`<time>${this.#timeText}</time> is not epoch seconds`);
      }
    });
  }

  /** Feeds one chunk of stdout. */
  push(chunk: Uint8Array): void {
    this.#bytes += chunk.length;
    let text: string;
    try {
      text = this.#decoder.decode(chunk, { stream: true });
    } catch {
      throw new Error(`Event stream: not valid UTF-8 near byte ${this.#bytes}`);
    }
    this.#parser.write(text);
  }

  /** Ends the stream: the output must be complete UTF-8, and every `<stream>` closed. */
  end(): StreamCheckResult {
    try {
      this.#parser.write(this.#decoder.decode());
    } catch {
      throw new Error('Event stream: the output ends inside a UTF-8 sequence');
    }
    const closed = this.#path.length === 0;
    if (closed) this.#parser.close();
    return { events: this.#events, perStanza: Object.fromEntries(this.#perStanza), bytes: this.#bytes, closed };
  }

  #fail(message: string): never {
    throw new Error(`Event stream, ${this.#parser.line}:${this.#parser.column}: ${message}`);
  }
}
