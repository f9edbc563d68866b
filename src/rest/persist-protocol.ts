/**
 * The wire protocol between splunkd and a persistent REST driver (restmap.conf `scripttype = persist` with
 * `driver = <executable>`): splunkd writes request packets on the driver's stdin and reads length-prefixed replies
 * on its stdout. Splunk's own driver (splunk/persistconn/packet.py and handle_loop.py, shipped with Splunk) is the
 * reference; this is the same framing in TypeScript, so the add-on can answer a REST request without Python.
 *
 * A request packet: one opcode byte (newlines before it are skipped), a bit set of
 *   0x01 INIT   → `<n>\n` then n strings (the command: the restmap `script` path and its `script.arg.<N>`), then one
 *                 string (`script.param`, empty when unset);
 *   0x02 BLOCK  → one string: the request as JSON (method, query, form, session, server.rest_uri, …);
 *   0x04 END    → the request is complete;
 *   0x08 ALLOW_STREAM (unused here).
 * A string is `<byte length>\n<bytes>`. The driver answers INIT with one string (empty: accepted; else an error
 * text) and each BLOCK with one string: the reply JSON `{"status": …, "payload": …, "headers": …}`.
 * Pure: bytes in, packets out; the caller owns the streams.
 */

export const OPCODE_INIT = 0x01;
export const OPCODE_BLOCK = 0x02;
export const OPCODE_END = 0x04;
export const OPCODE_ALLOW_STREAM = 0x08;

/** One request packet as splunkd sent it. */
export interface RequestPacket {
  opcode: number;
  /** With INIT: the command (script path, then its arguments). */
  command?: string[];
  /** With INIT: `script.param`, undefined when empty. */
  commandArg?: string;
  /** With BLOCK: the request document (UTF-8 JSON). */
  block?: string;
}

/** The request document splunkd sends in a BLOCK (only the members this add-on reads; others are ignored). */
export interface PersistRequest {
  method?: string;
  /** The path after /services or /servicesNS/<user>/<app>, e.g. `/ta_microsoft_defender/account_check`. */
  rest_path?: string;
  /** Query-string parameters as [name, value] pairs. */
  query?: Array<[string, string]>;
  /** Form-encoded POST parameters as [name, value] pairs. */
  form?: Array<[string, string]>;
  /** Absent for an unauthenticated call. */
  session?: { user?: string; authtoken?: string };
  server?: { rest_uri?: string };
  ns?: { app?: string; user?: string };
}

/** The reply document: status (default 200) and a JSON payload (splunkd then answers application/json). */
export interface PersistReply {
  status: number;
  payload: unknown;
}

/** Malformed input from splunkd: the driver cannot recover its framing and must stop. */
export class PersistProtocolError extends Error {}

/**
 * Reads complete packets from the front of `buffer`. Returns the packets and how many bytes they used; bytes of an
 * incomplete packet are left for the next call (append more data and call again).
 */
export function readRequestPackets(buffer: Buffer): { packets: RequestPacket[]; consumed: number } {
  const packets: RequestPacket[] = [];
  let consumed = 0;
  for (;;) {
    const result = readOnePacket(buffer, consumed);
    if (result === undefined) return { packets, consumed };
    packets.push(result.packet);
    consumed = result.end;
  }
}

/** One framed string, as the driver writes its replies and splunkd its strings. */
export function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`${bytes.length}\n`, 'ascii'), bytes]);
}

/** A request packet as splunkd writes it (for tests and for a fake splunkd). */
export function encodeRequestPacket(packet: RequestPacket): Buffer {
  const parts: Buffer[] = [Buffer.from([packet.opcode])];
  if (packet.opcode & OPCODE_INIT) {
    const command = packet.command ?? [];
    parts.push(
      Buffer.from(`${command.length}\n`, 'ascii'),
      ...command.map(encodeString),
      encodeString(packet.commandArg ?? ''),
    );
  }
  if (packet.opcode & OPCODE_BLOCK) parts.push(encodeString(packet.block ?? ''));
  return Buffer.concat(parts);
}

/** Reads framed strings (the driver's replies) from the front of `buffer`, as splunkd does. */
export function readStrings(buffer: Buffer): { strings: string[]; consumed: number } {
  const strings: string[] = [];
  let offset = 0;
  for (;;) {
    const result = readString(buffer, offset);
    if (result === undefined) return { strings, consumed: offset };
    strings.push(result.value.toString('utf8'));
    offset = result.end;
  }
}

function readOnePacket(buffer: Buffer, start: number): { packet: RequestPacket; end: number } | undefined {
  let offset = start;
  while (offset < buffer.length && buffer[offset] === 0x0a) offset++; // newlines before an opcode are allowed
  if (offset >= buffer.length) return undefined;
  const opcode = buffer[offset]!;
  offset++;
  const packet: RequestPacket = { opcode };
  if (opcode & OPCODE_INIT) {
    const count = readNumber(buffer, offset);
    if (count === undefined) return undefined;
    offset = count.end;
    const command: string[] = [];
    for (let i = 0; i < count.value; i++) {
      const piece = readString(buffer, offset);
      if (piece === undefined) return undefined;
      command.push(piece.value.toString('utf8'));
      offset = piece.end;
    }
    const arg = readString(buffer, offset);
    if (arg === undefined) return undefined;
    offset = arg.end;
    packet.command = command;
    if (arg.value.length > 0) packet.commandArg = arg.value.toString('utf8');
  }
  if (opcode & OPCODE_BLOCK) {
    const block = readString(buffer, offset);
    if (block === undefined) return undefined;
    packet.block = block.value.toString('utf8');
    offset = block.end;
  }
  return { packet, end: offset };
}

function readString(buffer: Buffer, start: number): { value: Buffer; end: number } | undefined {
  const length = readNumber(buffer, start);
  if (length === undefined || length.end + length.value > buffer.length) return undefined;
  return { value: buffer.subarray(length.end, length.end + length.value), end: length.end + length.value };
}

/** A decimal count on its own line; empty lines before it are skipped (as splunk's packet.py does). */
function readNumber(buffer: Buffer, start: number): { value: number; end: number } | undefined {
  let offset = start;
  for (;;) {
    const newline = buffer.indexOf(0x0a, offset);
    if (newline < 0) {
      if (buffer.length - offset > 20)
        throw new PersistProtocolError('expected a byte count, got a long line without a newline');
      return undefined;
    }
    const text = buffer.subarray(offset, newline).toString('ascii');
    offset = newline + 1;
    if (text === '') continue;
    if (!/^\d{1,12}$/.test(text))
      throw new PersistProtocolError(`expected a non-negative byte count, got ${JSON.stringify(text.slice(0, 20))}`);
    return { value: Number(text), end: offset };
  }
}
