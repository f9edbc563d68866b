import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { INPUT_ARGUMENTS } from '../../../src/config/arguments.js';
import { STREAM_ARGUMENTS } from '../../../src/config/stream-arguments.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const specText = readFileSync(join(repoRoot, 'README', 'inputs.conf.spec'), 'utf8');

/** The spec as splunkd and AppInspect read it: stanza headers, `key = value` lines, and each key's `*` lines. */
function parseSpec(text: string): {
  stanzas: string[];
  keys: string[];
  keysOf: Map<string, string[]>;
  docs: Map<string, string[]>;
} {
  const stanzas: string[] = [];
  const keys: string[] = [];
  const keysOf = new Map<string, string[]>();
  const docs = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      stanzas.push(header[1]!);
      keysOf.set(header[1]!, []);
      current = undefined;
      continue;
    }
    const setting = /^([0-9A-Za-z_.-]+) = (.+)$/.exec(line);
    if (setting) {
      keys.push(setting[1]!);
      keysOf.get(stanzas.at(-1)!)?.push(setting[1]!);
      current = [];
      docs.set(`${stanzas.at(-1)} ${setting[1]!}`, current);
      continue;
    }
    if (current && (line.startsWith('* ') || line.startsWith('  '))) {
      current.push(line);
      continue;
    }
    throw new Error(`Unexpected line in inputs.conf.spec: ${JSON.stringify(line)}`);
  }
  return { stanzas, keys, keysOf, docs };
}

describe('README/inputs.conf.spec', () => {
  const spec = parseSpec(specText);

  const tables = [
    { stanza: 'defender_alerts://<name>', args: INPUT_ARGUMENTS },
    { stanza: 'defender_stream://<name>', args: STREAM_ARGUMENTS },
  ];

  it('declares the two modular input stanzas, defender_alerts://<name> and defender_stream://<name>', () => {
    expect(spec.stanzas).to.deep.equal(tables.map((t) => t.stanza));
  });

  it("has exactly each argument table's names as keys, once each and in the same order", () => {
    for (const { stanza, args } of tables)
      expect(spec.keysOf.get(stanza), stanza).to.deep.equal(args.map((argument) => argument.name));
  });

  it('documents every key with at least one * line', () => {
    for (const [key, lines] of spec.docs)
      expect(
        lines.filter((line) => line.startsWith('* ')),
        key,
      ).to.not.have.length(0);
  });

  it('documents each default of the tables as "* Default: <value>"', () => {
    for (const { stanza, args } of tables) {
      for (const argument of args) {
        if (argument.defaultValue === undefined) continue;
        expect(spec.docs.get(`${stanza} ${argument.name}`), argument.name).to.include(
          `* Default: ${argument.defaultValue}`,
        );
      }
    }
  });

  it('uses plain LF line breaks and no tabs (AppInspect reads the lines)', () => {
    expect(specText).to.not.include('\r');
    expect(specText).to.not.include('\t');
    expect(specText.endsWith('\n')).to.equal(true);
  });
});
