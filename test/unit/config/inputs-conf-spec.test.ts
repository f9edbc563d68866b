import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { INPUT_ARGUMENTS } from '../../../src/config/arguments.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const specText = readFileSync(join(repoRoot, 'README', 'inputs.conf.spec'), 'utf8');

/** The spec as splunkd and AppInspect read it: stanza headers, `key = value` lines, and each key's `*` lines. */
function parseSpec(text: string): { stanzas: string[]; keys: string[]; docs: Map<string, string[]> } {
  const stanzas: string[] = [];
  const keys: string[] = [];
  const docs = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      stanzas.push(header[1]!);
      current = undefined;
      continue;
    }
    const setting = /^([0-9A-Za-z_.-]+) = (.+)$/.exec(line);
    if (setting) {
      keys.push(setting[1]!);
      current = [];
      docs.set(setting[1]!, current);
      continue;
    }
    if (current && (line.startsWith('* ') || line.startsWith('  '))) {
      current.push(line);
      continue;
    }
    throw new Error(`Unexpected line in inputs.conf.spec: ${JSON.stringify(line)}`);
  }
  return { stanzas, keys, docs };
}

describe('README/inputs.conf.spec', () => {
  const spec = parseSpec(specText);

  it('declares one modular input stanza, defender_alerts://<name>', () => {
    expect(spec.stanzas).to.deep.equal(['defender_alerts://<name>']);
  });

  it("has exactly the argument table's names as keys, once each and in the same order", () => {
    expect(spec.keys).to.deep.equal(INPUT_ARGUMENTS.map((argument) => argument.name));
  });

  it('documents every key with at least one * line', () => {
    for (const key of spec.keys)
      expect(spec.docs.get(key)?.filter((line) => line.startsWith('* ')) ?? [], key).to.not.have.length(0);
  });

  it('documents each default of the table as "* Default: <value>"', () => {
    for (const argument of INPUT_ARGUMENTS) {
      if (argument.defaultValue === undefined) continue;
      expect(spec.docs.get(argument.name), argument.name).to.include(`* Default: ${argument.defaultValue}`);
    }
  });

  it('uses plain LF line breaks and no tabs (AppInspect reads the lines)', () => {
    expect(specText).to.not.include('\r');
    expect(specText).to.not.include('\t');
    expect(specText.endsWith('\n')).to.equal(true);
  });
});
