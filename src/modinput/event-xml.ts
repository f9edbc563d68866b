/** One event of the XML stream as text (the writer builds the same XML as bytes: event-bytes.ts). */
import type { SplunkEvent } from '../ports.js';
import { ModinputProtocolError } from './protocol-error.js';
import { escapeXmlAttribute, escapeXmlText } from './xml-text.js';

/**
 * Formats one `<event stanza=".." unbroken="1">…<done/></event>` with only the fields present, in splunklib's
 * order. Empty optional fields are left out: an empty `<host></host>` is at best noise. `unbroken="1"` plus `<done/>`
 * makes every event a complete unit whatever the sourcetype's line breaking.
 * Throws ModinputProtocolError for an empty `data` (the SDKs refuse such events: splunkd would index nothing) or
 * an empty stanza (splunkd needs it to apply the stanza's defaults).
 */
export function formatEvent(e: SplunkEvent): string {
  checkEvent(e);
  let xml = `<event stanza="${escapeXmlAttribute(e.stanza)}" unbroken="1">`;
  if (e.time) xml += `<time>${escapeXmlText(e.time)}</time>`;
  if (e.source) xml += `<source>${escapeXmlText(e.source)}</source>`;
  if (e.sourcetype) xml += `<sourcetype>${escapeXmlText(e.sourcetype)}</sourcetype>`;
  if (e.index) xml += `<index>${escapeXmlText(e.index)}</index>`;
  if (e.host) xml += `<host>${escapeXmlText(e.host)}</host>`;
  const data = typeof e.data === 'string' ? e.data : Buffer.from(e.data).toString('utf8');
  return `${xml}<data>${escapeXmlText(data)}</data><done/></event>`;
}

/** Throws ModinputProtocolError for an event splunkd could not use (see formatEvent). */
export function checkEvent(e: SplunkEvent): void {
  if (!e.data || e.data.length === 0)
    throw new ModinputProtocolError(
      'event_invalid',
      `An event for ${e.stanza || 'an unnamed stanza'} has empty data; every event needs data.`,
    );
  if (!e.stanza)
    throw new ModinputProtocolError('event_invalid', 'An event has no stanza; every event must name its input stanza.');
}
