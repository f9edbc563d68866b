/**
 * One event of the XML stream as UTF-8 bytes, the hot path: the same XML as formatEvent (event-xml.ts), built into a
 * buffer the writer hands to stdout. Data that arrives as bytes (the alert as served) is escaped from bytes to bytes
 * (xml-bytes.ts), so an alert is never decoded to a JS string and encoded again. The tags around the data are the same
 * for every event of a stanza: they are encoded once and reused while the stanza's fields stay the same.
 */
import type { SplunkEvent } from '../ports.js';
import { checkEvent } from './event-xml.js';
import { writeXmlTextEscaped, xmlTextEscapedLength } from './xml-bytes.js';
import { escapeXmlAttribute, escapeXmlText } from './xml-text.js';

const DATA_END = Buffer.from('</data><done/></event>');

/** Measures an event, then writes it: `measure` says how many bytes `writeInto` will write. */
export class EventBytesEncoder {
  #stanza: string | undefined;
  #open = Buffer.alloc(0);
  #source: string | undefined;
  #sourcetype: string | undefined;
  #index: string | undefined;
  #host: string | undefined;
  #fields = Buffer.alloc(0);

  // The event measured last.
  #time = '';
  #timeBytes = 0;
  #data: Uint8Array = DATA_END;
  /** The escaped length of the data, or -1 when it goes out as it is. */
  #dataEscaped = -1;

  /** Checks the event (ModinputProtocolError as formatEvent) and returns the byte length of its XML. */
  measure(e: SplunkEvent): number {
    checkEvent(e);
    if (e.stanza !== this.#stanza) {
      this.#stanza = e.stanza;
      this.#open = Buffer.from(`<event stanza="${escapeXmlAttribute(e.stanza)}" unbroken="1">`, 'utf8');
    }
    if (
      e.source !== this.#source ||
      e.sourcetype !== this.#sourcetype ||
      e.index !== this.#index ||
      e.host !== this.#host
    ) {
      this.#source = e.source;
      this.#sourcetype = e.sourcetype;
      this.#index = e.index;
      this.#host = e.host;
      let xml = '';
      if (e.source) xml += `<source>${escapeXmlText(e.source)}</source>`;
      if (e.sourcetype) xml += `<sourcetype>${escapeXmlText(e.sourcetype)}</sourcetype>`;
      if (e.index) xml += `<index>${escapeXmlText(e.index)}</index>`;
      if (e.host) xml += `<host>${escapeXmlText(e.host)}</host>`;
      this.#fields = Buffer.from(`${xml}<data>`, 'utf8');
    }
    this.#time = e.time ? `<time>${escapeXmlText(e.time)}</time>` : '';
    this.#timeBytes = Buffer.byteLength(this.#time, 'utf8');
    if (typeof e.data === 'string') {
      // Data given as text (not the alerts' path): escaped as text, then encoded once.
      this.#data = Buffer.from(escapeXmlText(e.data), 'utf8');
      this.#dataEscaped = -1;
    } else {
      this.#data = e.data;
      this.#dataEscaped = xmlTextEscapedLength(e.data);
    }
    const data = this.#dataEscaped === -1 ? this.#data.length : this.#dataEscaped;
    return this.#open.length + this.#timeBytes + this.#fields.length + data + DATA_END.length;
  }

  /** Writes the event measured last into `dst` at `offset` (room: what measure returned); returns the end offset. */
  writeInto(dst: Buffer, offset: number): number {
    let at = offset + this.#open.copy(dst, offset);
    if (this.#timeBytes > 0) at += dst.write(this.#time, at, 'utf8');
    at += this.#fields.copy(dst, at);
    if (this.#dataEscaped === -1) {
      dst.set(this.#data, at);
      at += this.#data.length;
    } else {
      at = writeXmlTextEscaped(this.#data, dst, at);
    }
    at += DATA_END.copy(dst, at);
    this.#data = DATA_END; // not kept alive past its event
    return at;
  }
}
