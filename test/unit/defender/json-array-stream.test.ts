import { expect } from 'chai';
import { ApiError } from '../../../src/errors.js';
import type { AlertKeyFields } from '../../../src/defender/alert-key-reader.js';
import {
  JsonArraySplitter,
  readJsonArray,
  stripJsonWhitespace,
  type JsonBodyShape,
} from '../../../src/defender/json-array-stream.js';
import type { RawAlert } from '../../../src/ports.js';

/** The Graph key fields: the tests of the splitting itself do not depend on them. */
const KEYS: AlertKeyFields = { id: 'id', time: 'lastUpdateDateTime' };

function splitter(shape: JsonBodyShape, keyFields: AlertKeyFields = KEYS): JsonArraySplitter {
  return new JsonArraySplitter(shape, { keyFields });
}

interface Split {
  alerts: string[];
  nextLink?: string;
}

/** Feeds `body` in chunks of the given sizes (cycled) and collects the alert texts and nextLink. */
function split(body: string | Buffer, shape: JsonBodyShape, sizes: number[] = [body.length || 1]): Split {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const split = splitter(shape);
  const alerts: string[] = [];
  for (let pos = 0, i = 0; pos < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    for (const alert of split.push(bytes.subarray(pos, pos + size))) alerts.push(alert.json.toString('utf8'));
    pos += size;
  }
  const end = split.end();
  return end.nextLink === undefined ? { alerts } : { alerts, nextLink: end.nextLink };
}

/** The same body cut at every single position into two chunks, and fed byte by byte, must split identically. */
function expectSameAtEverySplit(body: string, shape: JsonBodyShape, expected: Split): void {
  const bytes = Buffer.from(body);
  expect(split(bytes, shape), 'one chunk').to.deep.equal(expected);
  expect(split(bytes, shape, [1]), 'byte by byte').to.deep.equal(expected);
  for (let cut = 1; cut < bytes.length; cut++) {
    expect(split(bytes, shape, [cut, bytes.length]), `cut at byte ${cut}`).to.deep.equal(expected);
  }
}

function expectApiError(run: () => unknown, code: string, message?: RegExp): ApiError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.code).to.equal(code);
    if (message) expect(apiError.message).to.match(message);
    return apiError;
  }
  expect.fail(`expected ApiError ${code}`);
}

describe('json-array-stream', () => {
  describe('top-level array (siem)', () => {
    it('yields each element as its exact text', () => {
      const body = '[{"a":1,"n":1.50,"big":12345678901234567890,"e":"\\u00e9\\n"},{"b":[true,false,null]}]';
      expectSameAtEverySplit(body, 'array', {
        alerts: ['{"a":1,"n":1.50,"big":12345678901234567890,"e":"\\u00e9\\n"}', '{"b":[true,false,null]}'],
      });
    });

    it('hands out each element as text that JSON.parse reads back into it, with its key fields', () => {
      const siem = splitter('array', { id: 'FullId', time: 'LastProcessedTimeUtc' });
      const [alert] = siem.push(Buffer.from('[{"FullId":"a:b","LastProcessedTimeUtc":"t","Nested":{"x":[1,2]}}]'));
      const element = { FullId: 'a:b', LastProcessedTimeUtc: 't', Nested: { x: [1, 2] } };
      expect(JSON.parse(alert!.json.toString('utf8'))).to.deep.equal(element);
      expect(alert).to.deep.include({ id: 'a:b', time: 't' });
      expect(siem.end()).to.deep.equal({});
    });

    it('reads an empty array as no alerts', () => {
      expect(split(' [ ] \n', 'array')).to.deep.equal({ alerts: [] });
    });

    it('ignores brackets, braces and escaped quotes inside strings', () => {
      const body = '[{"s":"]}{[\\"]\\\\","t":"\\\\\\"x"},{"u":"\\\\"}]';
      expectSameAtEverySplit(body, 'array', { alerts: ['{"s":"]}{[\\"]\\\\","t":"\\\\\\"x"}', '{"u":"\\\\"}'] });
    });

    it('keeps multibyte characters whole when a chunk ends inside them', () => {
      const body = '[{"t":"é中😀\u2028€"},{"u":"ü"}]';
      expectSameAtEverySplit(body, 'array', { alerts: ['{"t":"é中😀\u2028€"}', '{"u":"ü"}'] });
    });

    it('drops whitespace outside strings, keeps it inside, so each alert is one line', () => {
      const body = '[\n  {\n    "a" : "x  y",\n    "b" : [ 1 ,\t2 ]\r\n  } ,\n  {"c":"\\n"}\n]\n';
      expectSameAtEverySplit(body, 'array', { alerts: ['{"a":"x  y","b":[1,2]}', '{"c":"\\n"}'] });
    });

    it('passes hostile text through untouched (XML-looking, CDATA end, U+2028, escaped controls)', () => {
      const alert = '{"t":"</data>]]><![CDATA[&amp;","u":"\u2028\u2029","c":"\\u0000\\u001b\\u0007"}';
      const result = split(`[${alert}]`, 'array', [3, 7]);
      expect(result.alerts).to.deep.equal([alert]);
      expect(JSON.parse(result.alerts[0]!)).to.deep.equal({
        t: '</data>]]><![CDATA[&amp;',
        u: '\u2028\u2029',
        c: '\u0000\u001b\u0007',
      });
    });

    it('skips a UTF-8 byte-order mark, even one split across chunks', () => {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1}]')]);
      expect(split(body, 'array', [1])).to.deep.equal({ alerts: ['{"a":1}'] });
    });
  });

  describe('OData object (graph, mde)', () => {
    it('yields the value array and captures a nextLink that comes after it', () => {
      const body =
        '{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2",' +
        '"value":[{"id":"1"},{"id":"2"}],' +
        '"@odata.nextLink":"https://graph.microsoft.com/v1.0/security/alerts_v2?$top=2&$skiptoken=a%2Bb\\/c"}';
      expectSameAtEverySplit(body, 'odata', {
        alerts: ['{"id":"1"}', '{"id":"2"}'],
        nextLink: 'https://graph.microsoft.com/v1.0/security/alerts_v2?$top=2&$skiptoken=a%2Bb/c',
      });
    });

    it('captures a nextLink that comes before the value array', () => {
      const body = '{"@odata.nextLink":"https://h/next","@odata.context":"c","value":[{"id":"1"}]}';
      expectSameAtEverySplit(body, 'odata', { alerts: ['{"id":"1"}'], nextLink: 'https://h/next' });
    });

    it('has no nextLink when the key is absent or null', () => {
      expect(split('{"@odata.context":"c","value":[]}', 'odata')).to.deep.equal({ alerts: [] });
      expect(split('{"value":[{"a":1}],"@odata.nextLink":null}', 'odata')).to.deep.equal({ alerts: ['{"a":1}'] });
    });

    it('skips other keys whatever their value (numbers, literals, objects, arrays, strings)', () => {
      const body =
        '{"@odata.count":2,"flag":true,"n":null,"neg":-1.5e+3,"o":{"value":[{"x":"]"}]},"a":[[{"}":1}]],' +
        '"s":"{\\"value\\":[]}","value":[{"id":"1"}]}';
      expectSameAtEverySplit(body, 'odata', { alerts: ['{"id":"1"}'] });
    });

    it('reads a pretty-printed envelope', () => {
      const body = '{\n  "@odata.context" : "c",\n  "value" : [\n    { "id" : "1" }\n  ]\n}\n';
      expect(split(body, 'odata', [5])).to.deep.equal({ alerts: ['{"id":"1"}'] });
    });
  });

  describe('bodies that are not the expected JSON', () => {
    it('rejects an HTML error page, quoting its start on one line', () => {
      const html =
        '<!DOCTYPE html>\n<html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>' +
        'x'.repeat(500) +
        '</body></html>';
      const error = expectApiError(
        () => split(html, 'odata'),
        'api_invalid_body',
        /expected a JSON object.*<!DOCTYPE html> <html> <head><title>502 Bad Gateway/,
      );
      expect(error.message).to.not.match(/[\r\n]/);
      expect(error.message.length).to.be.below(300);
    });

    it('quotes the start of a non-JSON body even when it arrives in small chunks', () => {
      const body = 'Service Unavailable: upstream connect error';
      const error = expectApiError(() => split(body, 'array', [3]), 'api_invalid_body');
      expect(error.message).to.contain('Service Unavailable: upstream connect error');
    });

    it('rejects an empty body and a whitespace-only body', () => {
      expectApiError(() => split('', 'array'), 'api_invalid_body', /empty/);
      expectApiError(() => split(' \r\n', 'odata'), 'api_invalid_body', /empty/);
    });

    it('rejects an object where the siem array belongs', () => {
      const forbidden = '{"error":{"code":"Forbidden"}}';
      expectApiError(() => split(forbidden, 'array'), 'api_invalid_body', /expected a JSON array.*Forbidden/);
    });

    it('rejects an OData object without a value array', () => {
      expectApiError(() => split('{"error":{"code":"x"}}', 'odata'), 'api_invalid_body', /no "value" array/);
      expectApiError(() => split('{"value":null}', 'odata'), 'api_invalid_body', /"value" is not an array/);
    });

    for (const element of ['42', '"text"', 'null', '[{"a":1}]', 'true']) {
      it(`rejects an element that is not an object: ${element}`, () => {
        const body = `[{"a":1},${element}]`;
        expectApiError(() => split(body, 'array'), 'api_invalid_body', /alert 2 is not a JSON object/);
      });
    }

    it('rejects an element whose inside is not JSON, naming its position', () => {
      expectApiError(() => split('[{"a":1},{"b":tru}]', 'array'), 'api_invalid_body', /alert 2 is not valid JSON/);
    });

    it('rejects garbage between or after the alerts', () => {
      expectApiError(() => split('[{"a":1} x]', 'array'), 'api_invalid_body', /expected "," or "]" after alert 1/);
      expectApiError(() => split('[{"a":1}] trailing', 'array'), 'api_invalid_body', /after the end/);
      expectApiError(() => split('{"value":[]} {', 'odata'), 'api_invalid_body', /after the end/);
    });
  });

  describe('truncated bodies', () => {
    const cases: [string, string, JsonBodyShape, RegExp][] = [
      ['cut inside a string of an alert', '[{"a":"hello', 'array', /inside alert 1, in a string/],
      ['cut inside an alert', '[{"a":1},{"b":[1,2', 'array', /inside alert 2/],
      ['missing the closing ]', '[{"a":1}', 'array', /no closing "\]"/],
      ['missing the closing ] after a comma', '[{"a":1},', 'array', /no closing "\]"/],
      ['missing the closing }', '{"value":[{"a":1}]', 'odata', /no closing "\}"/],
      ['cut inside the nextLink', '{"value":[],"@odata.nextLink":"https://h/n', 'odata', /in a string/],
      ['cut right after "["', '[', 'array', /no closing/],
    ];
    for (const [name, body, shape, where] of cases) {
      it(`reports a body ${name} as api_truncated_body`, () => {
        expectApiError(() => split(body, shape), 'api_truncated_body', where);
      });
    }

    it('still yields the alerts that were complete before the cut', () => {
      const array = splitter('array');
      expect(array.push(Buffer.from('[{"a":1},{"b":')).map((a) => String(a.json))).to.deep.equal(['{"a":1}']);
      expectApiError(() => array.end(), 'api_truncated_body');
    });
  });

  describe('readJsonArray', () => {
    it('streams alerts from an async body and returns the nextLink', async () => {
      async function* body() {
        yield Buffer.from('{"value":[{"id":"1"},');
        yield Buffer.from('{"id":"2"}],"@odata.nextLink":"https://h/2"}');
      }
      const iterator = readJsonArray(body(), 'odata', { url: 'https://h/1', keyFields: KEYS });
      const seen: string[] = [];
      let result = await iterator.next();
      while (!result.done) {
        seen.push(result.value.json.toString('utf8'));
        result = await iterator.next();
      }
      expect(seen).to.deep.equal(['{"id":"1"}', '{"id":"2"}']);
      expect(result.value).to.deep.equal({ nextLink: 'https://h/2' });
    });

    it('yields an alert before the rest of the body has arrived', async () => {
      let released = false;
      async function* body() {
        yield Buffer.from('[{"id":"1"},');
        released = true;
        yield Buffer.from('{"id":"2"}]');
      }
      const first = await readJsonArray(body(), 'array', { keyFields: KEYS }).next();
      expect(first.value).to.deep.equal({ json: Buffer.from('{"id":"1"}'), id: '1', time: undefined });
      expect(released).to.equal(false);
    });

    it('puts the request URL on its errors', async () => {
      async function* body() {
        yield Buffer.from('[{"a":');
      }
      try {
        for await (const _ of readJsonArray(body(), 'array', { url: 'https://h/api/alerts', keyFields: KEYS })) void _;
        expect.fail('should throw');
      } catch (error) {
        expect(error).to.be.instanceOf(ApiError).with.property('url', 'https://h/api/alerts');
      }
    });
  });

  describe('stripJsonWhitespace', () => {
    it('removes whitespace outside strings only, with escaped quotes in strings', () => {
      expect(stripJsonWhitespace('{ "a \\" b" : [ 1 , "\\\\" ] }')).to.equal('{"a \\" b":[1,"\\\\"]}');
    });
  });

  it('splits a large generated body in odd chunks exactly like JSON.parse reads it', () => {
    const items = Array.from({ length: 300 }, (_, i) => ({
      id: `da${i}`,
      s: `q"\\${'é'.repeat(i % 7)}😀]}`,
      n: [i, { deep: [i, '[', '{'] }],
    }));
    const body = JSON.stringify({ '@odata.context': 'c', value: items, '@odata.nextLink': 'https://h/n' });
    const result = split(body, 'odata', [1, 7, 13, 64, 3, 4096]);
    expect(result.alerts).to.deep.equal(items.map((item) => JSON.stringify(item)));
    expect(result.nextLink).to.equal('https://h/n');
  });

  describe('key fields read without parsing (alert-key-reader)', () => {
    /** Splits with the Graph key fields, cut at `sizes` (cycled), and returns each alert's key fields. */
    function keysOf(body: string, sizes?: number[]): Pick<RawAlert, 'id' | 'time'>[] {
      const bytes = Buffer.from(body);
      const odata = splitter('odata');
      const out: Pick<RawAlert, 'id' | 'time'>[] = [];
      const chunks = sizes ?? [bytes.length];
      for (let pos = 0, i = 0; pos < bytes.length; i++) {
        const size = chunks[i % chunks.length]!;
        for (const { id, time } of odata.push(bytes.subarray(pos, pos + size))) out.push({ id, time });
        pos += size;
      }
      odata.end();
      return out;
    }

    /** What JSON.parse reads as each alert's key fields. */
    function parsedKeys(body: string): Pick<RawAlert, 'id' | 'time'>[] {
      const alerts = (JSON.parse(body) as { value: Record<string, unknown>[] }).value;
      return alerts.map((alert) => ({ id: alert.id, time: alert.lastUpdateDateTime }));
    }

    /** The alert texts JSON.parse is called on while `run` runs (the envelope's keys and links are not counted). */
    function alertsParsedDuring(run: () => void): string[] {
      const parse = JSON.parse;
      const parsed: string[] = [];
      JSON.parse = (text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown): unknown => {
        if (text.startsWith('{')) parsed.push(text);
        return parse(text, reviver);
      };
      try {
        run();
      } finally {
        JSON.parse = parse;
      }
      return parsed;
    }

    const tricky = [
      // The plain case, with nested objects whose own `id` keys must not be taken for the alert's.
      {
        evidence: [{ id: 'nested-1', lastUpdateDateTime: 'nested' }],
        id: 'a1',
        title: 'x, y: {z}',
        lastUpdateDateTime: '2024-05-01T10:00:00.1234567Z',
      },
      // Escapes in the value, a key that looks like ours inside a string, the key last.
      { title: '"id":"fake"', lastUpdateDateTime: '2024-05-01T10:00:01Z', id: 'a\u00e9"2\\' },
      // Not strings: the alert is parsed whole, so versionOf sees what it is.
      { id: 42, lastUpdateDateTime: '2024-05-01T10:00:03Z' },
      { id: 'a5', lastUpdateDateTime: null },
      // A field missing.
      { id: 'a6' },
      // A key field whose value is an object: its own strings are not the field's value.
      { id: 'a7', lastUpdateDateTime: { at: '2024-05-01T10:00:04Z' } },
      { id: 'a8', lastUpdateDateTime: '2024-05-01T10:00:05Z', comments: [{ id: 'c', lastUpdateDateTime: 'c' }] },
    ];

    it('agrees with JSON.parse on every alert, whichever byte the chunks are cut at', () => {
      const body = JSON.stringify({ '@odata.context': 'ctx', value: tricky, id: 'response-level' });
      const want = parsedKeys(body);
      expect(keysOf(body), 'one chunk').to.deep.equal(want);
      expect(keysOf(body, [1]), 'byte by byte').to.deep.equal(want);
      for (let cut = 1; cut < body.length; cut++) {
        expect(keysOf(body, [cut, body.length]), `cut at ${cut}`).to.deep.equal(want);
        expect(keysOf(body, [cut, 7]), `cut at ${cut}, then every 7 bytes`).to.deep.equal(want);
      }
    });

    it("parses only the alerts whose key fields are not plain strings at the alert's own level", () => {
      const body = JSON.stringify({ value: tricky });
      const want = parsedKeys(body);
      const parsed = alertsParsedDuring(() => expect(keysOf(body)).to.deep.equal(want));
      expect(parsed).to.deep.equal(tricky.slice(2, 6).map((alert) => JSON.stringify(alert)));
    });

    it('parses an alert whose key or value is cut by a chunk boundary', () => {
      const body = '{"value":[{"id":"a1","lastUpdateDateTime":"t1"}]}';
      const cut = body.indexOf('Update');
      const parsed = alertsParsedDuring(() => {
        expect(keysOf(body, [cut, body.length])).to.deep.equal([{ id: 'a1', time: 't1' }]);
      });
      expect(parsed).to.deep.equal(['{"id":"a1","lastUpdateDateTime":"t1"}']);
    });

    it('takes the last of duplicate keys and unescapes escaped values', () => {
      const body = '{"value":[{"id":"first","lastUpdateDateTime":"t1","id":"se\\\\c\\"ond"}]}';
      const want = [{ id: 'se\\c"ond', time: 't1' }];
      expect(parsedKeys(body)).to.deep.equal(want);
      expect(alertsParsedDuring(() => expect(keysOf(body)).to.deep.equal(want))).to.deep.equal([]);
      // A cut inside the second key or value must not leave the first one standing.
      for (let cut = 1; cut < body.length; cut++) {
        expect(keysOf(body, [cut, body.length]), `cut at ${cut}`).to.deep.equal(want);
      }
    });

    it('parses the alert whole when a key is written with an escape (it cannot be matched on bytes)', () => {
      const body = '{"value":[{"\\u0069d":"escaped-key","lastUpdateDateTime":"t"}]}';
      expect(keysOf(body)).to.deep.equal([{ id: 'escaped-key', time: 't' }]);
    });

    it('keeps the exact text of the alert on the fast path, whitespace removed as before', () => {
      const siem = splitter('array', { id: 'FullId', time: 'LastProcessedTimeUtc' });
      const body = '[ { "FullId" : "f:1" , "LastProcessedTimeUtc" : "2024-05-01T10:00:00Z", "n": [1, 2] } ]';
      const [alert] = siem.push(Buffer.from(body));
      siem.end();
      expect(alert).to.deep.equal({
        json: Buffer.from('{"FullId":"f:1","LastProcessedTimeUtc":"2024-05-01T10:00:00Z","n":[1,2]}'),
        id: 'f:1',
        time: '2024-05-01T10:00:00Z',
      });
    });
  });
});
