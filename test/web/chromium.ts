/**
 * The browser for the page tests: Debian's `chromium` (installed by .ci/run when missing), or CHROMIUM_PATH. Without
 * one, the browser tests skip on a developer's machine but FAIL under CI (CI=true): a missing browser must never
 * turn into a green run that tested nothing.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** CHROMIUM_PATH when set (and then only it, executable or not), else the first candidate on PATH. */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return isExecutable(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of CANDIDATES) if (isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Launches headless Chromium, or skips/fails the suite as the header says. */
export async function launchChromium(suite: Mocha.Context): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    const why = `no Chromium found (looked for ${CANDIDATES.join(', ')} on PATH, and CHROMIUM_PATH): apt-get install chromium`;
    if (process.env.CI === 'true') throw new Error(`${why}. CI must run the browser tests.`);
    suite.skip();
  }
  return puppeteer.launch({
    executablePath,
    headless: true,
    // root in a container: no sandbox; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--no-default-browser-check'],
  });
}
