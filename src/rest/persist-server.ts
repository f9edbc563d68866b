/**
 * A persistent REST driver's main loop: reads splunkd's request packets from `input`, hands each request document to
 * `handle`, and writes the replies to `output` in order (persist-protocol.ts has the framing). It answers every INIT
 * with the empty string (script accepted) and every BLOCK with the handler's reply, whatever the handler does: a
 * handler failure becomes a 500 reply that names no detail, and the loop goes on with the next request.
 * Resolves when `input` ends (splunkd closed the driver's stdin); rejects on framing it cannot read.
 */
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../ports.js';
import {
  encodeString,
  OPCODE_BLOCK,
  OPCODE_INIT,
  PersistProtocolError,
  readRequestPackets,
  type PersistReply,
  type PersistRequest,
} from './persist-protocol.js';
import { errorCodeOf } from '../toolkit/error-info.js';

export type PersistHandler = (request: PersistRequest) => Promise<PersistReply>;

export async function servePersistentRequests(
  input: Readable,
  output: Writable,
  handle: PersistHandler,
  log: Logger,
): Promise<void> {
  let pending = Buffer.alloc(0);
  for await (const chunk of input) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    const { packets, consumed } = readRequestPackets(pending);
    pending = pending.subarray(consumed);
    // One request at a time, replies in order: splunkd sends the next request only after this one's reply.
    for (const packet of packets) {
      if (packet.opcode & OPCODE_INIT) await write(output, encodeString(''));
      if (packet.opcode & OPCODE_BLOCK)
        await write(output, encodeString(JSON.stringify(await answer(packet.block ?? '', handle, log))));
    }
  }
  if (pending.length > 0)
    throw new PersistProtocolError(
      `splunkd closed the connection in the middle of a packet (${pending.length} bytes left)`,
    );
}

async function answer(block: string, handle: PersistHandler, log: Logger): Promise<PersistReply> {
  let request: PersistRequest;
  try {
    request = JSON.parse(block) as PersistRequest;
  } catch {
    return { status: 400, payload: { messages: [{ type: 'ERROR', text: 'The request splunkd passed is not JSON.' }] } };
  }
  try {
    return await handle(request);
  } catch (error) {
    // The message may hold anything the failing code saw; log only the error's class and code.
    log.error('The REST handler failed', { action: 'rest_failed', error: errorCodeOf(error) });
    return {
      status: 500,
      payload: {
        messages: [
          {
            type: 'ERROR',
            text: 'The add-on could not answer this request; see splunkd.log (component ExecProcessor or PersistentScript).',
          },
        ],
      },
    };
  }
}

function write(output: Writable, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    output.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}
