/**
 * XML 1.0 text escaping on UTF-8 bytes, for event data that arrives as bytes (the alert as the API served it) and
 * leaves as bytes: no decode to a JS string and no re-encode. The output is byte for byte what
 * `Buffer.from(escapeXmlText(bytes.toString('utf8')), 'utf8')` gives (xml-text.ts), which the tests check over
 * random bytes:
 *
 * - `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;`, and CR becomes `&#13;` (a parser would turn a raw CR into LF);
 * - a byte sequence that is not UTF-8 becomes U+FFFD, one per maximal ill-formed subpart, as the WHATWG decoder
 *   behind Buffer#toString does (https://encoding.spec.whatwg.org/#utf-8-decoder); surrogates encoded in UTF-8
 *   (ED A0..BF ..) are ill-formed there, so they are replaced too;
 * - characters XML 1.0 forbids even as references (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF) become
 *   U+FFFD (https://www.w3.org/TR/xml/#charsets).
 *
 * Two passes over an alert that needs changes, one over the rest (most alerts): xmlTextEscapedLength says whether the
 * bytes go out as they are and, if not, how long the escaped text is; writeXmlTextEscaped writes it.
 */

/** What a byte needs: nothing, an entity, U+FFFD, or a look at the UTF-8 sequence it starts. */
const enum ByteClass {
  Plain,
  Amp,
  Lt,
  Gt,
  Cr,
  Forbidden,
  NonAscii,
}

const CLASS = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) CLASS[b] = b === 0x09 || b === 0x0a ? ByteClass.Plain : ByteClass.Forbidden;
CLASS[0x0d] = ByteClass.Cr;
CLASS[0x26] = ByteClass.Amp;
CLASS[0x3c] = ByteClass.Lt;
CLASS[0x3e] = ByteClass.Gt;
for (let b = 0x80; b < 0x100; b++) CLASS[b] = ByteClass.NonAscii;

/** Bytes added by each class's replacement (U+FFFD is 3 bytes for 1). */
const EXTRA = [0, 4, 3, 3, 4, 2, 0];

const AMP = Buffer.from('&amp;');
const LT = Buffer.from('&lt;');
const GT = Buffer.from('&gt;');
const CR = Buffer.from('&#13;');
const REPLACEMENT = Buffer.from('\uFFFD', 'utf8'); // EF BF BD

/**
 * The UTF-8 sequence that starts at `i` (a byte ≥ 0x80): `n > 0` when its `n` bytes are a character XML allows
 * (copied as they are); `-n` when its `n` bytes become one U+FFFD (an ill-formed subpart, or U+FFFE/U+FFFF).
 */
function sequenceAt(src: Uint8Array, i: number, end: number): number {
  const b = src[i]!;
  let need: number;
  let lower = 0x80;
  let upper = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    if (b === 0xe0) lower = 0xa0;
    else if (b === 0xed) upper = 0x9f; // above: UTF-16 surrogates, not characters
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    if (b === 0xf0) lower = 0x90;
    else if (b === 0xf4) upper = 0x8f; // above U+10FFFF
  } else return -1; // a continuation byte, an overlong lead (C0, C1) or F5..FF
  for (let k = 1; k <= need; k++) {
    if (i + k >= end) return -k;
    const c = src[i + k]!;
    if (c < lower || c > upper) return -k;
    lower = 0x80;
    upper = 0xbf;
  }
  // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are not XML characters.
  if (b === 0xef && src[i + 1] === 0xbf && src[i + 2]! >= 0xbe) return -3;
  return need + 1;
}

/** The last ArrayBuffer read by words, and its Int32Array view (alerts of one chunk share their ArrayBuffer). */
let wordsOf: ArrayBufferLike | undefined;
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);

/**
 * The index of the first byte at or after `i` that is not plain ASCII text (ByteClass.Plain), or `end`. Reads four
 * bytes at a time where they are aligned: one test for "a byte >= 0x80, < 0x20, or one of & < >" per word instead of
 * a table lookup per byte (bit tricks from https://graphics.stanford.edu/~seander/bithacks.html#ZeroInWord). Tab and
 * LF also stop the word loop; they are looked at byte by byte and passed over.
 */
function skipPlain(src: Uint8Array, i: number, end: number): number {
  const base = src.byteOffset;
  while (i < end && ((base + i) & 3) !== 0) {
    if (CLASS[src[i]!] !== ByteClass.Plain) return i;
    i++;
  }
  if (end - i >= 16) {
    if (src.buffer !== wordsOf) {
      wordsOf = src.buffer;
      words = new Int32Array(src.buffer, 0, src.buffer.byteLength >> 2);
    }
    let w = (base + i) >> 2;
    const lastWord = ((base + end) >> 2) - 1;
    for (; w <= lastWord; w++) {
      const x = words[w]!;
      const amp = x ^ 0x26262626;
      const lt = x ^ 0x3c3c3c3c;
      const gt = x ^ 0x3e3e3e3e;
      const flagged =
        (x |
          ((x - 0x20202020) & ~x) |
          ((amp - 0x01010101) & ~amp) |
          ((lt - 0x01010101) & ~lt) |
          ((gt - 0x01010101) & ~gt)) &
        0x80808080;
      if (flagged !== 0) {
        const at = (w << 2) - base;
        for (let k = at; k < at + 4; k++) if (CLASS[src[k]!] !== ByteClass.Plain) return k;
      }
    }
    i = (w << 2) - base;
  }
  while (i < end) {
    if (CLASS[src[i]!] !== ByteClass.Plain) return i;
    i++;
  }
  return end;
}

/**
 * The length of `src` escaped as XML text, or -1 when `src` goes out unchanged (no entity, no replacement): then the
 * caller copies the bytes as they are.
 */
export function xmlTextEscapedLength(src: Uint8Array): number {
  const end = src.length;
  let extra = 0;
  let changed = false;
  for (let i = skipPlain(src, 0, end); i < end; i = skipPlain(src, i, end)) {
    const cls = CLASS[src[i]!]! as ByteClass;
    if (cls === ByteClass.NonAscii) {
      const n = sequenceAt(src, i, end);
      if (n > 0) {
        i += n; // a valid character: copied as it is
        continue;
      }
      extra += 3 + n; // -n bytes become the 3 bytes of U+FFFD
      i -= n;
    } else {
      extra += EXTRA[cls]!;
      i++;
    }
    changed = true;
  }
  return changed ? end + extra : -1;
}

/**
 * Writes `src` escaped as XML text into `dst` at `offset` and returns the offset after it. `dst` must have room for
 * xmlTextEscapedLength(src) bytes (or src.length when that is -1).
 */
export function writeXmlTextEscaped(src: Uint8Array, dst: Buffer, offset: number): number {
  const end = src.length;
  let out = offset;
  let copyFrom = 0;
  for (let i = skipPlain(src, 0, end); i < end; i = skipPlain(src, i, end)) {
    const cls = CLASS[src[i]!]! as ByteClass;
    let replacement: Buffer;
    let skip = 1;
    switch (cls) {
      case ByteClass.Amp:
        replacement = AMP;
        break;
      case ByteClass.Lt:
        replacement = LT;
        break;
      case ByteClass.Gt:
        replacement = GT;
        break;
      case ByteClass.Cr:
        replacement = CR;
        break;
      case ByteClass.Forbidden:
        replacement = REPLACEMENT;
        break;
      default: {
        const n = sequenceAt(src, i, end);
        if (n > 0) {
          i += n;
          continue;
        }
        replacement = REPLACEMENT;
        skip = -n;
      }
    }
    if (i > copyFrom) out += copy(src, copyFrom, i, dst, out);
    out += replacement.copy(dst, out);
    i += skip;
    copyFrom = i;
  }
  if (end > copyFrom) out += copy(src, copyFrom, end, dst, out);
  return out;
}

function copy(src: Uint8Array, from: number, to: number, dst: Buffer, at: number): number {
  dst.set(src.subarray(from, to), at);
  return to - from;
}
