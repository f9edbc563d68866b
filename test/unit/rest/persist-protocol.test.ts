import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import {
  encodeRequestPacket,
  encodeString,
  OPCODE_BLOCK,
  OPCODE_END,
  OPCODE_INIT,
  PersistProtocolError,
  readRequestPackets,
  readStrings,
} from '../../../src/rest/persist-protocol.js';
import { servePersistentRequests } from '../../../src/rest/persist-server.js';
import type { Logger } from '../../../src/ports.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('persistent REST protocol (restmap.conf scripttype = persist)', () => {
  it("reads the packets splunk's packet.py reads: INIT with command and param, BLOCK, END, newlines before an opcode", () => {
    // Written by hand in the framing of splunk/persistconn/packet.py: opcode byte, "<n>\n", "<len>\n<bytes>"...
    const bytes = Buffer.concat([
      Buffer.from('\n'),
      Buffer.from([OPCODE_INIT | OPCODE_BLOCK | OPCODE_END]),
      Buffer.from('2\n17\ndefender_check.sh2\n-v0\n'),
      Buffer.from('\n15\n{"method":"é"}'),
    ]);
    const { packets, consumed } = readRequestPackets(bytes);
    expect(consumed).to.equal(bytes.length);
    expect(packets).to.deep.equal([{ opcode: 7, command: ['defender_check.sh', '-v'], block: '{"method":"é"}' }]);
  });

  it('waits for the rest of a packet cut anywhere, and round-trips what encodeRequestPacket writes', () => {
    const whole = Buffer.concat([
      encodeRequestPacket({
        opcode: OPCODE_INIT | OPCODE_BLOCK | OPCODE_END,
        command: ['x'],
        commandArg: 'p',
        block: '{"a":1}',
      }),
      encodeRequestPacket({ opcode: OPCODE_BLOCK | OPCODE_END, block: '{}' }),
    ]);
    for (let cut = 0; cut < whole.length; cut++) {
      const first = readRequestPackets(whole.subarray(0, cut));
      const rest = readRequestPackets(Buffer.concat([whole.subarray(first.consumed, cut), whole.subarray(cut)]));
      expect(
        [...first.packets, ...rest.packets].map((p) => p.block),
        `cut at ${cut}`,
      ).to.deep.equal(['{"a":1}', '{}']);
    }
  });

  it('refuses a count that is not a number', () => {
    expect(() => readRequestPackets(Buffer.from([OPCODE_BLOCK, ...Buffer.from('x1\n')]))).to.throw(
      PersistProtocolError,
      /byte count/,
    );
  });

  it("serves requests in order: an empty string for INIT, the handler's JSON reply for each BLOCK, a 500 when it throws", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const replies: Buffer[] = [];
    output.on('data', (chunk: Buffer) => replies.push(chunk));
    const serving = servePersistentRequests(
      input,
      output,
      async (request) => {
        if (request.method === 'BOOM') throw new Error('secret-in-message');
        return { status: 200, payload: { echo: request.method } };
      },
      silent,
    );
    input.write(
      encodeRequestPacket({
        opcode: OPCODE_INIT | OPCODE_BLOCK | OPCODE_END,
        command: ['s'],
        block: '{"method":"POST"}',
      }),
    );
    input.write(
      encodeRequestPacket({
        opcode: OPCODE_INIT | OPCODE_BLOCK | OPCODE_END,
        command: ['s'],
        block: '{"method":"BOOM"}',
      }),
    );
    input.end(
      encodeRequestPacket({ opcode: OPCODE_INIT | OPCODE_BLOCK | OPCODE_END, command: ['s'], block: 'not json' }),
    );
    await serving;
    const { strings } = readStrings(Buffer.concat(replies));
    expect(strings[0]).to.equal('');
    expect(JSON.parse(strings[1]!)).to.deep.equal({ status: 200, payload: { echo: 'POST' } });
    expect(strings[2]).to.equal('');
    expect(JSON.parse(strings[3]!).status).to.equal(500);
    expect(strings[3]).to.not.contain('secret-in-message');
    expect(JSON.parse(strings[5]!).status).to.equal(400);
    expect(encodeString('é').toString()).to.equal('2\né');
  });
});
