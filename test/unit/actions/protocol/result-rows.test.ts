import { expect } from 'chai';
import {
  allValues,
  decodeMultiValue,
  firstValue,
  toResultRow,
  toResultRowFromObject,
} from '../../../../src/actions/protocol/result-rows.js';

describe('result rows: splunkd __mv_ columns', () => {
  it('decodes $v1$;$v2$ into the values in order', () => {
    expect(decodeMultiValue('$a$;$b$;$c$')).to.deep.equal(['a', 'b', 'c']);
  });

  it('turns a doubled $ inside a value back into one $', () => {
    expect(decodeMultiValue('$pa$$word$;$$$$$x$')).to.deep.equal(['pa$word', '$$x']);
  });

  it('keeps semicolons, commas, quotes and newlines inside a value', () => {
    expect(decodeMultiValue('$a;b$;$c,"d"\ne$')).to.deep.equal(['a;b', 'c,"d"\ne']);
  });

  it('decodes a single value and an empty value', () => {
    expect(decodeMultiValue('$only$')).to.deep.equal(['only']);
    expect(decodeMultiValue('$$$$;$x$')).to.deep.equal(['$', 'x']);
    expect(decodeMultiValue('$$;$x$')).to.deep.equal(['', 'x']);
    expect(decodeMultiValue('$x$;$$')).to.deep.equal(['x', '']);
  });

  it('returns undefined for an empty cell or text not in the encoding', () => {
    for (const cell of ['', 'plain', '$unterminated', '$a$b$', '$a$,$b$', '$a$;']) {
      expect(decodeMultiValue(cell), cell).to.equal(undefined);
    }
  });

  it('folds __mv_ columns into their field and drops them as fields', () => {
    const row = toResultRow({ id: 'a\nb', __mv_id: '$a$;$b$', severity: 'high', __mv_severity: '', empty: '' });
    expect([...row.keys()]).to.deep.equal(['id', 'severity', 'empty']);
    expect(row.get('id')).to.deep.equal(['a', 'b']);
    expect(row.get('severity')).to.deep.equal(['high']);
    expect(row.get('empty')).to.deep.equal([]);
  });

  it('falls back to the plain column when the __mv_ cell is malformed', () => {
    expect(toResultRow({ id: 'x', __mv_id: 'garbage' }).get('id')).to.deep.equal(['x']);
  });

  it('reads the payload result object, arrays as multi-valued fields', () => {
    const row = toResultRowFromObject({ id: ['a', 'b'], n: 3, nothing: null, __mv_id: '$a$;$b$' });
    expect(row.get('id')).to.deep.equal(['a', 'b']);
    expect(row.get('n')).to.deep.equal(['3']);
    expect(row.get('nothing')).to.deep.equal([]);
    expect(row.has('__mv_id')).to.equal(false);
  });

  it('gives the first non-blank value and all non-blank values, trimmed', () => {
    const row = toResultRow({ v: ' ', __mv_v: '$ $;$ x $;$y$' });
    expect(firstValue(row, 'v')).to.equal('x');
    expect(allValues(row, 'v')).to.deep.equal(['x', 'y']);
    expect(firstValue(row, 'missing')).to.equal(undefined);
  });
});
