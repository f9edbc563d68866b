/**
 * Reads splunkd's results file (`results_file` of the payload,
 * https://dev.splunk.com/enterprise/docs/devtools/customalertactions/writescriptcaa/): a gzip-compressed CSV with
 * a header row. It is read as a stream, one row at a time, so a search with a million results never sits in memory.
 * A plain (not gzipped) CSV is accepted too, recognised by the gzip magic bytes rather than the file name, because
 * `sendalert` with `results_path=` can point at either.
 */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { ConfigError } from '../errors.js';
import { toResultRow, type ResultRow } from '../actions/protocol/result-rows.js';
import { errorInfo } from '../toolkit/error-info.js';

const GZIP_MAGIC = [0x1f, 0x8b];

/** Yields every row of the results file in order. Rejects with ConfigError when the file is missing or not a CSV. */
export async function* readResultRows(path: string): AsyncGenerator<ResultRow> {
  const gzipped = await startsWithGzipMagic(path);
  const file = createReadStream(path);
  const parser = parse({ columns: true, bom: true, relax_column_count: true, skip_empty_lines: true });
  const source = gzipped ? file.pipe(createGunzip()) : file;
  // pipe() does not forward errors: a truncated gzip must surface from the parser we iterate.
  source.on('error', (error: Error) => parser.destroy(error));
  file.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) yield toResultRow(record);
  } catch (error) {
    throw new ConfigError([
      `results_file ${path} could not be read as ${gzipped ? 'a gzip-compressed ' : 'a '}CSV (${errorInfo(error).message}); splunkd writes it for the action, so re-run the search.`,
    ]);
  } finally {
    file.destroy();
    parser.destroy();
  }
}

async function startsWithGzipMagic(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new ConfigError([
      `results_file ${path} cannot be opened (${errorInfo(error).code ?? 'error'}); splunkd may have removed the search's results already: re-run the search.`,
    ]);
  }
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}
