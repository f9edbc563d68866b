import { expect } from 'chai';
import { arrayElements, objectMembers, skipString, skipValue } from '../../../src/defender/json-bytes.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('defender/json-bytes', () => {
  it('ends a string at the first quote not escaped, counting runs of backslashes', () => {
    // "a\\" then more: the backslash before the quote is itself escaped, so that quote closes the string.
    const text = bytes('"a\\\\" , "b\\"c"');
    expect(skipString(text, 0)).to.equal(5);
    expect(text.toString('utf8', 8, skipString(text, 8))).to.equal('"b\\"c"');
    expect(() => skipString(bytes('"open \\"'), 0)).to.throw(SyntaxError, /unterminated string/);
  });

  it('ends a value of every kind, with brackets inside strings ignored', () => {
    const cases: [string, string][] = [
      ['{"a":"}]","b":[1,{"c":null}]} tail', '{"a":"}]","b":[1,{"c":null}]}'],
      ['[ "[", [ ] ],', '[ "[", [ ] ]'],
      ['-1.5e3,', '-1.5e3'],
      ['true}', 'true'],
      ['"é ✓"x', '"é ✓"'],
    ];
    for (const [text, value] of cases) {
      const b = bytes(text);
      expect(b.toString('utf8', 0, skipValue(b, 0)), text).to.equal(value);
    }
    expect(() => skipValue(bytes('{"a":[1'), 0)).to.throw(SyntaxError, /unterminated/);
    expect(() => skipValue(bytes(',1'), 0)).to.throw(SyntaxError, /expected a value/);
  });

  it('hands array elements back as views of the same bytes', () => {
    const b = bytes('[ 1 , "x" ,[2], {"k":"v"} ,null ]');
    const elements = arrayElements(b, 0);
    expect(elements.map(String)).to.deep.equal(['1', '"x"', '[2]', '{"k":"v"}', 'null']);
    expect(elements[1]!.buffer).to.equal(b.buffer);
    expect(arrayElements(bytes('[ ]'), 0)).to.deep.equal([]);
    expect(() => arrayElements(bytes('[1 2]'), 0)).to.throw(SyntaxError, /expected , or \]/);
    expect(() => arrayElements(bytes('{}'), 0)).to.throw(SyntaxError, /expected an array/);
  });

  it('lists object members in order, duplicates included, with escaped names decoded', () => {
    const b = bytes(' { "a" : 1 , "r\\u0065c" : [1] , "a" : {"x":"y"} } ');
    const members = [...objectMembers(b)].map((m) => ({
      name: m.name,
      member: b.toString('utf8', m.start, m.valueEnd),
      value: b.toString('utf8', m.valueStart, m.valueEnd),
    }));
    expect(members).to.deep.equal([
      { name: 'a', member: '"a" : 1', value: '1' },
      { name: 'rec', member: '"r\\u0065c" : [1]', value: '[1]' },
      { name: 'a', member: '"a" : {"x":"y"}', value: '{"x":"y"}' },
    ]);
    expect([...objectMembers(bytes('{}'))]).to.deep.equal([]);
    expect(() => [...objectMembers(bytes('[1]'))]).to.throw(SyntaxError, /not a JSON object/);
    expect(() => [...objectMembers(bytes('{"a" 1}'))]).to.throw(SyntaxError, /expected :/);
    expect(() => [...objectMembers(bytes('{"a":1 "b":2}'))]).to.throw(SyntaxError, /expected , or \}/);
    expect(() => [...objectMembers(bytes('{a:1}'))]).to.throw(SyntaxError, /expected a member name/);
  });
});
