// --exit: the Event Hubs SDK can keep a socket open after close() once its tokens were refused; the tests are done
// by then, and a hanging run would hide their counts.
// Runs the test suite as two mocha runs, so the counts say what they are about: the product's own tests (src/ through
// unit tests, adapters, the app's files and the built app end to end) and the tests of the test infrastructure (the
// Defender emulator and the splunkd harness). Extra arguments go to both runs (e.g. --grep). Exit 1 if either fails.
import { spawn } from 'node:child_process';

const SUITES = [
  {
    name: 'product',
    globs: [
      'test/unit/**/*.test.ts',
      'test/adapters/**/*.test.ts',
      'test/app/**/*.test.ts',
      'test/e2e/**/*.test.ts',
      'test/web/**/*.test.ts',
    ],
  },
  {
    name: 'test infrastructure',
    globs: ['test/emulator/**/*.test.ts', 'test/harness/**/*.test.ts', 'test/eventhubs/**/*.test.ts'],
  },
];

function runMocha(globs, extra) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/mocha/bin/mocha.js', '--exit', ...globs, ...extra], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk.toString();
    });
    child.on('close', (code) => {
      // mocha's summary: "  N passing", "  N failing", "  N pending" (a count of 0 is not printed).
      const count = (word) => Number(out.match(new RegExp(`^ *(\\d+) ${word}`, 'm'))?.[1] ?? 0);
      resolve({ code: code ?? 1, passed: count('passing'), failed: count('failing'), skipped: count('pending') });
    });
  });
}

const extra = process.argv.slice(2);
const results = [];
for (const suite of SUITES) results.push({ ...suite, ...(await runMocha(suite.globs, extra)) });
console.log('');
for (const r of results) {
  // A run that crashed before reporting counts as one failure, so it cannot pass unnoticed.
  const failed = r.code !== 0 && r.failed === 0 ? 1 : r.failed;
  console.log(`${r.name} tests: ${r.passed} passed, ${failed} failed, ${r.skipped} skipped`);
}
process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
