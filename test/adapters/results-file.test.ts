import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readResultRows } from '../../src/adapters/results-file.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'ta-actions-results-'));

async function readAll(path: string) {
  const rows = [];
  for await (const row of readResultRows(path)) rows.push(Object.fromEntries(row));
  return rows;
}

// As splunkd writes it: header, quoted cells with embedded quotes/newlines, __mv_ companions.
const CSV =
  [
    'id,severity,"__mv_id","__mv_severity",note',
    'da1_1,high,,,"said ""hi"", twice"',
    '"da2_2\nda3_3",low,"$da2_2$;$da3_3$",,"line1\nline2"',
    ',medium,,,',
  ].join('\n') + '\n';

describe('results file: gzip CSV from splunkd', () => {
  it('streams every row of a gzip-compressed CSV with multi-valued fields decoded', async () => {
    const path = join(dir, 'results.csv.gz');
    writeFileSync(path, gzipSync(CSV));
    const rows = await readAll(path);
    expect(rows).to.deep.equal([
      { id: ['da1_1'], severity: ['high'], note: ['said "hi", twice'] },
      { id: ['da2_2', 'da3_3'], severity: ['low'], note: ['line1\nline2'] },
      { id: [], severity: ['medium'], note: [] },
    ]);
  });

  it('reads a plain CSV too (recognised by content, not by name)', async () => {
    const path = join(dir, 'plain.csv.gz');
    writeFileSync(path, '\ufeffindicator\n1.2.3.4\n');
    expect(await readAll(path)).to.deep.equal([{ indicator: ['1.2.3.4'] }]);
  });

  it('reads thousands of rows from one file', async () => {
    const path = join(dir, 'big.csv.gz');
    const lines = ['indicator'];
    for (let i = 0; i < 5000; i++) lines.push(i.toString(16).padStart(64, '0'));
    writeFileSync(path, gzipSync(lines.join('\n')));
    let count = 0;
    for await (const _row of readResultRows(path)) count++;
    expect(count).to.equal(5000);
  });

  it('rejects a missing file with a ConfigError that says to re-run the search', async () => {
    const error = await readAll(join(dir, 'gone.csv.gz')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.match(/cannot be opened.*re-run the search/);
  });

  it('rejects a truncated gzip file with a ConfigError instead of hanging', async () => {
    const path = join(dir, 'truncated.csv.gz');
    const full = gzipSync(CSV.repeat(50));
    writeFileSync(path, full.subarray(0, Math.floor(full.length / 2)));
    const error = await readAll(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.include('gzip-compressed');
  });
});
