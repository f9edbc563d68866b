import { expect } from 'chai';
import { writeXmlTextEscaped, xmlTextEscapedLength } from '../../../src/modinput/xml-bytes.js';
import { escapeXmlText } from '../../../src/modinput/xml-text.js';

/** The byte escaper's contract: the string escaper applied to what Buffer#toString decodes, encoded again. */
function reference(bytes: Uint8Array): Buffer {
  return Buffer.from(escapeXmlText(Buffer.from(bytes).toString('utf8')), 'utf8');
}

function escapeBytes(bytes: Uint8Array): Buffer {
  const length = xmlTextEscapedLength(bytes);
  if (length === -1) return Buffer.from(bytes);
  const out = Buffer.alloc(length + 8, 0x7e); // room to spare: the tail must stay untouched
  const end = writeXmlTextEscaped(bytes, out, 3);
  expect(end - 3, 'the length measured is the length written').to.equal(length);
  expect(out.subarray(0, 3).toString('latin1')).to.equal('~~~');
  expect(out.subarray(end).toString('latin1')).to.equal('~'.repeat(out.length - end));
  return out.subarray(3, end);
}

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const utf8 = (cp: number): number[] => [...Buffer.from(String.fromCodePoint(cp), 'utf8')];

/** Pieces that random byte strings are built from: the cases the escaper must get right, and noise. */
const PIECES: ((r: () => number) => number[])[] = [
  (r) => [...Buffer.from('{"id":"da637","title":"x y"}'.slice(0, 1 + Math.floor(r() * 28)))],
  () => [0x26], // &
  () => [0x3c], // <
  () => [0x3e], // >
  () => [0x0d], // CR
  () => [0x09, 0x0a], // tab, LF: allowed
  (r) => [Math.floor(r() * 0x20)], // any C0 control
  (r) => [0x80 + Math.floor(r() * 0x80)], // any byte ≥ 0x80 alone (continuation, lead, F5..FF)
  (r) => utf8(0x80 + Math.floor(r() * 0x780)), // 2-byte characters
  (r) => utf8(0x800 + Math.floor(r() * 0xd000)), // 3-byte characters below the surrogates
  () => utf8(0xfffe),
  () => utf8(0xffff),
  () => utf8(0xfffd),
  () => utf8(0x2028),
  (r) => utf8(0x10000 + Math.floor(r() * 0x100000)), // 4-byte characters, emoji among them
  (r) => [0xed, 0xa0 + Math.floor(r() * 0x20), 0x80 + Math.floor(r() * 0x40)], // a surrogate encoded in UTF-8
  () => [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], // a surrogate pair encoded as two 3-byte sequences (CESU-8)
  () => [0xc0, 0x80], // overlong NUL
  () => [0xe0, 0x80, 0x80], // overlong
  () => [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  (r) => utf8(0x10000 + Math.floor(r() * 0x100000)).slice(0, 1 + Math.floor(r() * 3)), // a cut 4-byte sequence
  (r) => utf8(0x800 + Math.floor(r() * 0xd000)).slice(0, 1 + Math.floor(r() * 2)), // a cut 3-byte sequence
];

function randomBytes(r: () => number, pieces: number): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < pieces; i++) bytes.push(...PIECES[Math.floor(r() * PIECES.length)]!(r));
  return Uint8Array.from(bytes);
}

/** `bytes` copied into a larger ArrayBuffer at `offset`, with other bytes around it. */
function atOffset(bytes: Uint8Array, offset: number): Uint8Array {
  const store = new Uint8Array(offset + bytes.length + 7).fill(0x3c); // '<' around: must not leak in
  store.set(bytes, offset);
  return store.subarray(offset, offset + bytes.length);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('modinput/xml-bytes', () => {
  it('leaves clean bytes alone (-1: copy as they are), valid non-ASCII and tab/LF included', () => {
    const clean = Buffer.from('{"id":"da637","title":"Suspicious \u00e9 activity \u{1F600} \u2028","tab":"\t\n"}');
    expect(xmlTextEscapedLength(clean)).to.equal(-1);
    for (let offset = 0; offset < 4; offset++) expect(xmlTextEscapedLength(atOffset(clean, offset))).to.equal(-1);
    expect(xmlTextEscapedLength(new Uint8Array(0))).to.equal(-1);
  });

  it('escapes & < > and CR as the string escaper does', () => {
    const bytes = Buffer.from('A & B <x> ]]> a\r\nb');
    expect(escapeBytes(bytes).toString()).to.equal('A &amp; B &lt;x&gt; ]]&gt; a&#13;\nb');
  });

  it('replaces C0 controls, U+FFFE, U+FFFF, surrogates and ill-formed UTF-8 with U+FFFD', () => {
    const cases: [number[], string][] = [
      [[0x61, 0x00, 0x62], 'a\uFFFDb'],
      [[0x1f], '\uFFFD'],
      [utf8(0xfffe), '\uFFFD'],
      [utf8(0xffff), '\uFFFD'],
      [[0xed, 0xa0, 0x80], '\uFFFD\uFFFD\uFFFD'], // U+D800 in UTF-8: three ill-formed subparts
      [[0xc3], '\uFFFD'], // cut at the end
      [[0xf0, 0x9f, 0x98, 0x41], '\uFFFDA'], // a cut 4-byte sequence is one U+FFFD
      [[0xff, 0x41], '\uFFFDA'],
      [[0xc0, 0xaf], '\uFFFD\uFFFD'],
    ];
    for (const [bytes, expected] of cases) {
      expect(escapeBytes(Uint8Array.from(bytes)).toString('utf8'), hex(Uint8Array.from(bytes))).to.equal(expected);
    }
  });

  it('equals the string escaper (decode, escape, encode) on 20,000 random byte strings', () => {
    for (let seed = 1; seed <= 20_000; seed++) {
      const r = random(seed);
      // At any alignment inside a larger buffer: the escaper reads aligned words where it can.
      const bytes = atOffset(randomBytes(r, 1 + Math.floor(r() * 40)), Math.floor(r() * 8));
      const expected = reference(bytes);
      const actual = escapeBytes(bytes);
      if (!actual.equals(expected)) {
        expect.fail(`seed ${seed}: ${hex(bytes)} → ${actual.toString('hex')}, expected ${expected.toString('hex')}`);
      }
      // -1 exactly when the output is the input.
      expect(xmlTextEscapedLength(bytes) === -1, `seed ${seed}: ${hex(bytes)}`).to.equal(expected.equals(bytes));
    }
  });

  it('equals the string escaper on uniformly random bytes (every byte value, every position)', () => {
    const r = random(7);
    for (let round = 0; round < 5_000; round++) {
      const bytes = atOffset(
        Uint8Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)),
        round % 5,
      );
      expect(escapeBytes(bytes).equals(reference(bytes)), hex(bytes)).to.equal(true);
    }
  });

  it('fails a wrong escaper: the reference sees a dropped replacement', () => {
    // Guards the property tests above against a reference that agrees with anything.
    const bytes = Uint8Array.from([0x61, 0xed, 0xa0, 0x80]);
    expect(reference(bytes).equals(Buffer.from(bytes))).to.equal(false);
  });
});
