/**
 * The BUILT app that end-to-end tests run, exactly as splunkd would. Built once per test process (slim: no bundled
 * runtime, so the launcher uses the machine's node ≥ 20) into a temp folder, never into dist/.
 * Set TA_TEST_APP_DIR to test an already-built app folder instead (e.g. dist/TA-microsoft-defender with its runtime).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DIR = join(REPO_ROOT, '..', 'shared');

let appDir: string | undefined;

export function builtAppDir(): string {
  if (appDir) return appDir;
  if (process.env.TA_TEST_APP_DIR) return (appDir = resolve(process.env.TA_TEST_APP_DIR));
  const out = mkdtempSync(join(tmpdir(), 'ta-defender-build-'));
  execFileSync(process.execPath, [join(REPO_ROOT, 'build.mjs'), '--out', out, '--slim'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return (appDir = join(out, 'TA-microsoft-defender'));
}
