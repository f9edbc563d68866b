/**
 * The offline evaluator itself (test/app/lib/spl-eval.ts, test/app/lib/search-time.ts): each modelled Splunk
 * behaviour, so the CIM tests that rely on it fail for the right reasons.
 */
import { expect } from 'chai';
import { parseConf } from '../../src/config/app-settings.js';
import { applySearchTime, EXTRACTION_CUTOFF, extractJsonFields } from './lib/search-time.js';
import { evaluate, spath } from './lib/spl-eval.js';

const fields = (entries: Record<string, string | string[]>) => new Map(Object.entries(entries));

describe('offline search-time evaluator', () => {
  describe('KV_MODE = json', () => {
    it('names fields a.b, a{} and a{}.b, makes a multivalue of repeated ones, and gives JSON null as the text "null"', () => {
      const got = extractJsonFields('{"a":{"b":1},"c":[{"d":"x"},{"d":null}],"e":[true,false],"f":null,"g":[]}');
      expect(Object.fromEntries(got)).to.deep.equal({
        'a.b': ['1'],
        'c{}.d': ['x', 'null'],
        'e{}': ['true', 'false'],
        f: ['null'],
      });
    });

    it(`extracts nothing that ends past the first ${EXTRACTION_CUTOFF} bytes (counted in UTF-8)`, () => {
      const pad = 'ä'.repeat(2480); // 4,960 bytes, 2,480 characters: "late" ends past byte 5,000, not past character 5,000
      const raw = JSON.stringify({ pad, early: 'x', late: 'y'.repeat(50) });
      const got = extractJsonFields(raw);
      expect(got.has('early')).to.equal(true);
      expect(got.has('late')).to.equal(false);
      expect(extractJsonFields(raw, 100_000).has('late')).to.equal(true);
    });

    it('gives no fields for text that is not JSON', () => {
      expect(extractJsonFields('{"a": 1').size).to.equal(0);
    });
  });

  describe('eval expressions', () => {
    it('keeps a string literal\'s backslashes except \\\\ and \\", as Splunk does', () => {
      expect(evaluate('"a\\\\b\\"c\\d"', new Map())).to.equal('a\\b"c\\d');
      expect(evaluate('replace("C:\\\\temp", "\\\\\\\\", "/")', new Map())).to.equal('C:/temp');
    });

    it('coalesce() stops at the text "null", which is why mappings guard it with nullif()', () => {
      const f = fields({ a: 'null', b: 'x' });
      expect(evaluate('coalesce(a, b)', f)).to.equal('null');
      expect(evaluate('coalesce(nullif(a, "null"), b)', f)).to.equal('x');
    });

    it('spath() follows paths, gives several matches as a multivalue, null as "null", objects as JSON text', () => {
      const raw = '{"e":[{"n":"a"},{"n":null},{"m":{"k":1}}],"s":"t\\/u"}';
      expect(spath(raw, 'e{}.n')).to.deep.equal(['a', 'null']);
      expect(spath(raw, 'e{}.m')).to.equal('{"k":1}');
      expect(spath(raw, 's')).to.equal('t/u');
      expect(spath(raw, 'missing')).to.equal(null);
      expect(spath('not json', 's')).to.equal(null);
    });

    it('replace() substitutes \\N with group N, and "" for a group that did not take part', () => {
      expect(evaluate('replace("a1b2", "([a-z])(\\d)|x(y)", "\\3\\1")', new Map())).to.equal('ab');
    });

    it('refuses functions and PCRE constructs it does not model, and multivalues where one value is needed', () => {
      expect(() => evaluate('mvmap(a, a)', new Map())).to.throw(/does not know the eval function mvmap/);
      expect(() => evaluate('replace("a", "a++", "")', new Map())).to.throw(/PCRE construct/);
      expect(() => evaluate('lower(a)', fields({ a: ['X', 'Y'] }))).to.throw(/multivalue/);
    });

    it('evaluates case(), in(), if() and comparisons', () => {
      const f = fields({ s: 'High' });
      expect(evaluate('case(lower(s) == "high", 4, true(), 0)', f)).to.equal(4);
      expect(evaluate('if(in(lower(s), "low", "high"), "y", "n")', f)).to.equal('y');
      expect(evaluate('isnull(missing) AND NOT isnotnull(missing)', f)).to.equal(true);
    });

    it('split() gives every piece as a multivalue (one piece: a single value); tonumber() reads decimal text only', () => {
      expect(evaluate('split("T1059 T1105 T1059", " ")', new Map())).to.deep.equal(['T1059', 'T1105', 'T1059']);
      expect(evaluate('mvdedup(split("T1059 T1105 T1059", " "))', new Map())).to.deep.equal(['T1059', 'T1105']);
      expect(evaluate('split("T1059", " ")', new Map())).to.equal('T1059');
      expect(evaluate('split(missing, " ")', new Map())).to.equal(null);
      expect(evaluate('tonumber("12") > 9', new Map())).to.equal(true);
      expect(evaluate('"12" > "9"', new Map()), 'text compares as text, which is why searches use tonumber()').to.equal(
        false,
      );
      expect(evaluate('tonumber("-1.5e2")', new Map())).to.equal(-150);
      expect(evaluate('tonumber("12abc")', new Map())).to.equal(null);
      expect(evaluate('tonumber(missing)', new Map())).to.equal(null);
    });
  });

  describe('applySearchTime', () => {
    const props = parseConf({
      file: 'props.conf',
      text: '[st]\nKV_MODE = json\nFIELDALIAS-x = a AS b\nEVAL-b = "eval"\nEVAL-c = b\nEVAL-d = c\nEVAL-gone = null()\n',
    });

    it('applies FIELDALIAS before EVAL, and evaluates every EVAL on the fields as they were before any EVAL', () => {
      const got = applySearchTime(props, 'st', '{"a":"alias","c":"extracted","gone":"x"}');
      expect(got.get('b')).to.equal('eval');
      expect(got.get('c')).to.equal('alias');
      expect(got.get('d')).to.equal('extracted');
      expect(got.has('gone')).to.equal(false);
    });
  });
});
