/** Paths to the shared conformance fixtures (fixtures/README.md). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../../helpers/built-app.js';

export const PYTHON_SET = join(SHARED_DIR, 'fixtures', 'splunk-sdk-python-modinput');
export const JS_SET = join(SHARED_DIR, 'fixtures', 'splunk-sdk-javascript-modinput');
export const CAPTURES = join(SHARED_DIR, 'fixtures', 'splunkd-captures');
export const SDK_SETS = [
  { label: 'python', dir: PYTHON_SET },
  { label: 'javascript', dir: JS_SET },
] as const;

/** The fixture's raw bytes. */
export function readFixture(dir: string, name: string): Buffer {
  return readFileSync(join(dir, name));
}
