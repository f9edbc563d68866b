/**
 * The fault matrix of the modular input: for each api, each kind of failure Microsoft or the network
 * can produce, injected deterministically by the emulator, against the BUILT app run as splunkd runs it.
 *
 * - Transient (fewer failures than the app retries): the run recovers, exits 0, emits every new alert version exactly
 *   once, logs the retry as a WARN and no ERROR.
 * - Persistent (more failures than the app retries, or a refusal that is never retried): the run exits non-zero,
 *   logs exactly one ERROR line with the README's `error=` code and advice, keeps the checkpoint where it was (or
 *   moves it only by what it flushed), and the next clean run emits everything that is left, nothing twice.
 *
 * Every injected fault must be used up (`emu.faults.pending()` empty), so no case passes without its fault firing.
 * The retry counts below are the app's: [http] max_retries (set to 1 here) for 5xx, resets and timeouts of a request;
 * 3 attempts per page whose body breaks off (PAGE_ATTEMPTS, src/defender/sources/page-reader.ts); 3 attempts per
 * token request (TOKEN_RETRY_DEFAULTS, src/adapters/msal-token-provider.ts); 429s wait as Retry-After says, and a
 * Retry-After beyond 120 s (DEFAULT_RETRY_LIMITS.maxRetryAfterMs) is not waited out.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceOf, type FaultSpec } from '../emulator/emulator.js';
import { generateAlerts } from '../emulator/generator.js';
import {
  assertNoSecrets,
  CLIENT,
  countBy,
  currentVersions,
  emittedAlertVersions,
  emittedVersions,
  newCheckpointDir,
  runStanza,
  SECRET,
  servedIncidentAlertVersions,
  servedVersions,
  seenVersions,
  startE2e,
  TENANT,
  type Api,
  type E2e,
} from './context.js';

const APIS: Api[] = ['graph', 'mde', 'siem', 'incidents'];
const PAGE_SIZE = 10;
const MAX_RETRIES = 1;
/** request_timeout_s = 5 (the minimum): connect, response-header and idle-body timeouts are all 5 s. */
const SETTINGS = `[http]\nrequest_timeout_s = 5\nmax_retries = ${MAX_RETRIES}\n[collection]\npage_size = ${PAGE_SIZE}\n`;
/** Longer than the 5 s idle-body timeout. */
const STALL_MS = 6_500;
/** Attempts per page whose body breaks off (page-reader.ts PAGE_ATTEMPTS). */
const PAGE_ATTEMPTS = 3;
/** Attempts per token request (msal-token-provider.ts: 2 retries, whatever max_retries says). */
const TOKEN_ATTEMPTS = 3;
const TOKEN_PATH = '/oauth2/v2.0/token';
/** Cuts a body before its first alert is complete (each generated alert is ~1.5 KB). */
const CUT_EARLY = 200;

type Run = Awaited<ReturnType<typeof runStanza>>;

/**
 * A fault on the listing of `api` (graph `/v1.0/security/alerts_v2`, mde and siem `/api/alerts`, incidents
 * `/v1.0/security/incidents`).
 */
function onAlerts(api: Api, kind: FaultSpec['kind'], times: number): FaultSpec {
  const pathIncludes = api === 'incidents' ? '/incidents' : '/alerts';
  return { service: serviceOf(api), method: 'GET', pathIncludes, times, kind };
}

/** A fault on the token endpoint (entra.ts: POST `/<tenant>/oauth2/v2.0/token`). */
function onToken(kind: FaultSpec['kind'], times: number): FaultSpec {
  return { service: 'login', method: 'POST', pathIncludes: TOKEN_PATH, times, kind };
}

/**
 * Lets the first matching request through unharmed: a stall of 0 ms is no stall. Faults match in the order they were
 * added and every page of a window has the same path (only the query differs), so this is how "page 2 fails" is said.
 */
function passFirst(api: Api): FaultSpec {
  return onAlerts(api, { slowBodyMs: 0 }, 1);
}

function levelLines(run: Run, level: RegExp): string[] {
  return run.stderrLines.filter((l) => level.test(l));
}

function errorLines(run: Run): string[] {
  return levelLines(run, /^(ERROR|FATAL) /);
}

function describeRun(run: Run): string {
  return `exit ${run.exitCode}, ${run.events.length} events\n${run.stderrLines.join('\n')}`;
}

/** The `field=value` pairs a line must carry (values without spaces or quotes). */
function hasFields(line: string, fields: Record<string, string | number | boolean>): boolean {
  return Object.entries(fields).every(([k, v]) =>
    new RegExp(` ${k}=${String(v).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?= |$)`).test(line),
  );
}

function checkpointText(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files, `checkpoint files in ${dir}`).to.have.length(1);
  return readFileSync(join(dir, files[0]!), 'utf8');
}

/** The checkpoint without `saved_at`, a time for humans that every save rewrites (a failed run saves too). */
function withoutSavedAt(text: string): string {
  return text.replace(/"saved_at":"[^"]*",?/, '');
}

/** The versions in the `seen` of a checkpoint file's text. */
function seenOf(text: string): Set<string> {
  return seenVersions(JSON.parse(text) as { seen: Record<string, string[]> });
}

interface Expectation {
  /** A WARN line with these fields must be present (the fault went through the retry path). */
  warn?: Record<string, string | number | boolean>;
  /** How many WARN lines match `warn` (the bound on retries); at least one when absent. */
  warnCount?: number;
}

interface TransientCase extends Expectation {
  title: string;
  faults(api: Api): FaultSpec[];
}

interface PersistentCase extends Expectation {
  title: string;
  faults(api: Api): FaultSpec[];
  /** The README's `error=` code. */
  error: string;
  /** What the ERROR line tells the admin to do. */
  advice: RegExp;
  /** Only some apis. */
  apis?: Api[];
  /** Set up a refusal that is not a fault (e.g. a rotated secret); returns the undo. */
  arrange?(e2e: E2e): () => void;
  /** Checks on the requests of the failed run. */
  requests?(e2e: E2e, from: number): void;
  /** The failed run emits some alerts before failing (a later page, or the start of a cut SIEM array). */
  partial?: boolean;
  /** How many, when that is exact (page 1 holds PAGE_SIZE new alerts: the backlog is outside the re-read). */
  partialEvents?: number;
}

const TRANSIENT: TransientCase[] = [
  {
    title: '429 with Retry-After: 1 (waits exactly what it says)',
    faults: (api) => [onAlerts(api, { status: 429, retryAfter: 1 }, 1)],
    warn: { action: 'throttled', status: 429, wait_ms: 1000, retry_after: true },
    warnCount: 1,
  },
  {
    title: '429 without Retry-After (backs off)',
    faults: (api) => [onAlerts(api, { status: 429 }, 1)],
    warn: { action: 'throttled', status: 429, retry_after: false },
    warnCount: 1,
  },
  {
    title: `HTTP 500 on ${MAX_RETRIES} attempt(s) (max_retries = ${MAX_RETRIES})`,
    faults: (api) => [onAlerts(api, { status: 500 }, MAX_RETRIES)],
    warn: { action: 'retry', status: 500, reason: 'server_error' },
    warnCount: MAX_RETRIES,
  },
  {
    title: `HTTP 503 on ${MAX_RETRIES} attempt(s) (max_retries = ${MAX_RETRIES})`,
    faults: (api) => [onAlerts(api, { status: 503 }, MAX_RETRIES)],
    warn: { action: 'retry', status: 503, reason: 'server_error' },
    warnCount: MAX_RETRIES,
  },
  {
    title: `connection reset before the response on ${MAX_RETRIES} attempt(s) (max_retries = ${MAX_RETRIES})`,
    faults: (api) => [onAlerts(api, 'reset', MAX_RETRIES)],
    warn: { action: 'retry', status: 'ECONNRESET', reason: 'network' },
    warnCount: MAX_RETRIES,
  },
  {
    title: `body stalled for ${STALL_MS / 1000} s, past the 5 s idle timeout, once`,
    faults: (api) => [onAlerts(api, { slowBodyMs: STALL_MS }, 1)],
    warn: { action: 'page_retry', error: 'api_timeout', attempt: 1 },
    warnCount: 1,
  },
  {
    title: `body cut after ${CUT_EARLY} bytes, ${PAGE_ATTEMPTS - 1} times`,
    faults: (api) => [onAlerts(api, { truncateAfterBytes: CUT_EARLY }, PAGE_ATTEMPTS - 1)],
    warn: { action: 'page_retry' },
    warnCount: PAGE_ATTEMPTS - 1,
  },
  {
    title: 'token endpoint HTTP 500, once',
    faults: () => [onToken({ status: 500 }, 1)],
    warn: { status: 500, error: 'auth_unavailable' },
    warnCount: 1,
  },
  {
    title: 'token endpoint HTTP 503 with Retry-After: 1, once',
    faults: () => [onToken({ status: 503, retryAfter: 1 }, 1)],
    warn: { status: 503, wait_ms: 1000, error: 'auth_unavailable' },
    warnCount: 1,
  },
];

const NEXT_RUN = /next run/i;
/** A body that breaks off on every attempt ends in one ERROR line that says what to do. */
const BODY_BROKE_ADVICE = new RegExp(
  `broke off or stalled mid-body ${PAGE_ATTEMPTS} times in a row .*next run reads this window again.*check the network path`,
);

const PERSISTENT: PersistentCase[] = [
  {
    title: '429 with Retry-After: 121, beyond the 120 s the app waits in a run (not waited out)',
    faults: (api) => [onAlerts(api, { status: 429, retryAfter: 121 }, 1)],
    error: 'api_throttled',
    advice: /asked to wait 121 s, longer than this run waits \(120 s\); the next run will continue/,
    warn: { action: 'throttled' },
    warnCount: 0,
  },
  {
    title: `HTTP 500 on every attempt (1 + max_retries = ${1 + MAX_RETRIES})`,
    faults: (api) => [onAlerts(api, { status: 500 }, 1 + MAX_RETRIES)],
    error: 'api_server_error',
    advice: /HTTP 500 .*after 2 attempts.*the next run will try again/,
    warn: { action: 'retry', status: 500 },
    warnCount: MAX_RETRIES,
  },
  {
    title: `HTTP 503 on every attempt (1 + max_retries = ${1 + MAX_RETRIES})`,
    faults: (api) => [onAlerts(api, { status: 503 }, 1 + MAX_RETRIES)],
    error: 'api_server_error',
    advice: /HTTP 503 .*after 2 attempts.*the next run will try again/,
    warn: { action: 'retry', status: 503 },
    warnCount: MAX_RETRIES,
  },
  {
    title: `connection reset on every attempt (1 + max_retries = ${1 + MAX_RETRIES})`,
    faults: (api) => [onAlerts(api, 'reset', 1 + MAX_RETRIES)],
    error: 'api_network',
    advice: /after 2 attempts: ECONNRESET.*Check DNS, the firewall and proxy_url/,
    warn: { action: 'retry', status: 'ECONNRESET' },
    warnCount: MAX_RETRIES,
  },
  {
    title: `body cut after ${CUT_EARLY} bytes on every attempt (${PAGE_ATTEMPTS})`,
    faults: (api) => [onAlerts(api, { truncateAfterBytes: CUT_EARLY }, PAGE_ATTEMPTS)],
    error: 'api_body_interrupted',
    advice: BODY_BROKE_ADVICE,
    warn: { action: 'page_retry' },
    warnCount: PAGE_ATTEMPTS - 1,
  },
  {
    title: 'an HTML page instead of JSON (a captive portal): never retried',
    faults: (api) => [onAlerts(api, 'html', 1)],
    error: 'api_invalid_body',
    advice: /not the expected JSON.*Check api_url, and any proxy/,
    warn: { action: 'page_retry' },
    warnCount: 0,
  },
  {
    title: `token endpoint HTTP 500 on every attempt (${TOKEN_ATTEMPTS})`,
    faults: () => [onToken({ status: 500 }, TOKEN_ATTEMPTS)],
    error: 'auth_unavailable',
    advice: /Entra ID is temporarily unavailable.*No action is needed unless it persists; the next run tries again/,
    warn: { status: 500, error: 'auth_unavailable' },
    warnCount: TOKEN_ATTEMPTS - 1,
  },
  {
    title: 'token refused: wrong client secret (AADSTS7000215), never retried',
    faults: () => [],
    arrange: (e2e) => {
      e2e.emu.directory.updateApp(TENANT, CLIENT, { secret: 'rotated~0ther-secret-value_abcdefghijklmnop' });
      return () => e2e.emu.directory.updateApp(TENANT, CLIENT, { secret: SECRET });
    },
    requests: (e2e, from) => {
      const tokenCalls = e2e.emu.requests
        .slice(from)
        .filter((r) => r.service === 'login' && r.method === 'POST' && r.path.endsWith(TOKEN_PATH));
      expect(
        tokenCalls.map((r) => r.status),
        'token requests of the failed run',
      ).to.deep.equal([401]);
      expect(
        e2e.emu.requests.slice(from).filter((r) => r.service !== 'login'),
        'API requests without a token',
      ).to.deep.equal([]);
    },
    error: 'auth_bad_secret',
    advice: /Paste the secret's Value, not the Secret ID.*AADSTS7000215/,
    warn: { error: 'auth_bad_secret' },
    warnCount: 0,
  },
  {
    title: `page 2 answers HTTP 500 on every attempt, after page 1 was read (${1 + MAX_RETRIES})`,
    apis: ['graph', 'mde', 'incidents'],
    faults: (api) => [passFirst(api), onAlerts(api, { status: 500 }, 1 + MAX_RETRIES)],
    requests: (e2e, from) => {
      const api = e2e.emu.requests.slice(from).filter((r) => r.service !== 'login');
      expect(
        api.map((r) => r.status),
        'alerts requests of the failed run',
      ).to.deep.equal([200, 500, 500]);
    },
    error: 'api_server_error',
    advice: NEXT_RUN,
    warn: { action: 'retry', status: 500 },
    warnCount: MAX_RETRIES,
    partial: true,
    partialEvents: PAGE_SIZE,
  },
  {
    title: `page 2 is cut mid-body on every attempt, after page 1 was read (${PAGE_ATTEMPTS})`,
    apis: ['graph', 'mde', 'incidents'],
    faults: (api) => [passFirst(api), onAlerts(api, { truncateAfterBytes: 5_000 }, PAGE_ATTEMPTS)],
    error: 'api_body_interrupted',
    advice: BODY_BROKE_ADVICE,
    warn: { action: 'page_retry', page: 2 },
    warnCount: PAGE_ATTEMPTS - 1,
    partial: true,
  },
  {
    title: `the one SIEM array is cut after its first alerts, on every attempt (${PAGE_ATTEMPTS})`,
    apis: ['siem'],
    faults: (api) => [onAlerts(api, { truncateAfterBytes: 5_000 }, PAGE_ATTEMPTS)],
    error: 'api_body_interrupted',
    advice: BODY_BROKE_ADVICE,
    warn: { action: 'page_retry' },
    warnCount: PAGE_ATTEMPTS - 1,
    partial: true,
  },
];

describe('defender_alerts fault matrix (built app, emulator faults, splunkd harness)', function () {
  this.timeout(60_000);

  for (const api of APIS) {
    describe(`api=${api}`, () => {
      let e2e: E2e;
      let seed = 1000 * (APIS.indexOf(api) + 1);
      let caseNo = 0;
      before(async () => {
        e2e = await startE2e({}, SETTINGS);
      });
      after(async () => e2e?.close());
      beforeEach(() => {
        e2e.emu.store.clear();
        e2e.emu.faults.clear();
      });
      afterEach(() => {
        e2e.emu.faults.clear();
      });

      /**
       * A clean first run (the checkpoint), then new alerts: an hour-old backlog is collected first, and `fresh` newer
       * alerts arrive for the run under test, timed within the last 200 s: the first run's watermark is its start minus
       * the 300 s settle time, and the next run re-reads 300 s before it, so they are inside the contract's reach.
       * Returns what the run under test must emit.
       */
      async function arrange(name: string, fresh: number) {
        const now = Date.now();
        const checkpointDir = newCheckpointDir();
        e2e.emu.store.addAlerts(
          api,
          generateAlerts(api, { count: 15, seed: seed++, from: now - 2 * 3_600_000, to: now - 3_600_000 }),
        );
        const first = await runStanza(e2e, { name, api, checkpointDir });
        expect(first.exitCode, describeRun(first)).to.equal(0);
        expect(own(first)).to.have.length(15);
        const before = currentVersions(e2e, api);
        e2e.emu.store.addAlerts(
          api,
          generateAlerts(api, { count: fresh, seed: seed++, from: now - 200_000, to: now - 1_000 }),
        );
        const expected = new Set([...currentVersions(e2e, api)].filter((v) => !before.has(v)));
        expect(expected.size).to.equal(fresh);
        return { checkpointDir, first, expected, checkpoint: checkpointText(checkpointDir) };
      }

      function checkWarnings(run: Run, c: Expectation) {
        if (!c.warn) return;
        const matching = levelLines(run, /^WARN /).filter((l) => hasFields(l, c.warn!));
        if (c.warnCount === undefined) expect(matching.length, describeRun(run)).to.be.greaterThan(0);
        else
          expect(matching, `WARN lines with ${JSON.stringify(c.warn)}\n${describeRun(run)}`).to.have.length(
            c.warnCount,
          );
      }

      /** The run's events of the api's own kind (api incidents: the incidents, not the alerts inside them). */
      function own(run: Run): string[] {
        return emittedVersions(api, run.events);
      }

      function checkOnce(runs: Run[], expectedAll: Set<string>) {
        const emitted = runs.flatMap((r) => emittedVersions(api, r.events));
        const duplicates = [...countBy(emitted)].filter(([, n]) => n > 1);
        expect(duplicates, 'versions emitted more than once').to.deep.equal([]);
        expect(new Set(emitted), 'emitted versions = every version the emulator served').to.deep.equal(
          servedVersions(e2e, api),
        );
        expect(new Set(emitted), 'emitted versions = every version in the store').to.deep.equal(expectedAll);
        if (api !== 'incidents') return;
        // Every alert version served inside an incident once, whatever the faults did to the pages around it.
        const alerts = runs.flatMap((r) => emittedAlertVersions(r.events));
        expect(
          [...countBy(alerts)].filter(([, n]) => n > 1),
          'alert versions emitted more than once',
        ).to.deep.equal([]);
        expect(new Set(alerts), 'alert versions = every one served inside an incident').to.deep.equal(
          servedIncidentAlertVersions(e2e),
        );
        expect(new Set(alerts), 'alert versions = every alert of the store').to.deep.equal(
          currentVersions(e2e, 'graph'),
        );
      }

      for (const c of TRANSIENT) {
        it(`recovers from ${c.title}: exit 0, every new alert once, no ERROR`, async () => {
          const name = `transient_${api}_${++caseNo}`;
          const { checkpointDir, first, expected } = await arrange(name, 25);
          for (const f of c.faults(api)) e2e.emu.addFault(f);
          const run = await runStanza(e2e, { name, api, checkpointDir });
          assertNoSecrets(run.stderrLines.join('\n') + run.stdout.toString());
          expect(e2e.emu.faults.pending(), 'faults not hit').to.deep.equal([]);
          expect(run.exitCode, describeRun(run)).to.equal(0);
          expect(errorLines(run), 'ERROR lines').to.deep.equal([]);
          checkWarnings(run, c);
          expect(new Set(emittedVersions(api, run.events))).to.deep.equal(expected);
          expect(own(run)).to.have.length(expected.size);
          checkOnce([first, run], currentVersions(e2e, api));
        });
      }

      for (const c of PERSISTENT) {
        if (c.apis && !c.apis.includes(api)) continue;
        it(`fails cleanly on ${c.title}: exit ≠ 0, one ERROR error=${c.error}, checkpoint only as far as flushed, next run loses nothing`, async () => {
          const name = `persistent_${api}_${++caseNo}`;
          const { checkpointDir, first, expected, checkpoint } = await arrange(name, 35);
          for (const f of c.faults(api)) e2e.emu.addFault(f);
          const undo = c.arrange?.(e2e);
          const from = e2e.emu.requests.length;
          let failed: Run;
          try {
            failed = await runStanza(e2e, { name, api, checkpointDir });
          } finally {
            undo?.();
          }
          assertNoSecrets(failed.stderrLines.join('\n') + failed.stdout.toString());
          expect(e2e.emu.faults.pending(), 'faults not hit').to.deep.equal([]);
          expect(failed.exitCode, describeRun(failed)).to.not.equal(0);
          expect(failed.exitCode, describeRun(failed)).to.not.equal(null);
          const errors = errorLines(failed);
          expect(errors, describeRun(failed)).to.have.length(1);
          const [line] = errors as [string];
          expect(
            hasFields(line, {
              action: 'run_end',
              input: `defender_alerts://${name}`,
              api,
              status: 'error',
              error: c.error,
            }),
            line,
          ).to.equal(true);
          expect(line).to.match(/^ERROR /);
          checkWarnings(failed, c);
          c.requests?.(e2e, from);

          const after = checkpointText(checkpointDir);
          const failedVersions = emittedVersions(api, failed.events);
          if (!c.partial) {
            // Nothing was emitted: the checkpoint says exactly what it said before (saved_at aside).
            expect(own(failed)).to.have.length(0);
            expect(withoutSavedAt(after), 'checkpoint after the failed run').to.equal(withoutSavedAt(checkpoint));
          } else {
            // The alerts read before the failure were emitted and flushed: the watermark stays, `seen` gains exactly
            // them.
            expect(own(failed).length, describeRun(failed)).to.be.greaterThan(0);
            if (c.partialEvents !== undefined) expect(own(failed), describeRun(failed)).to.have.length(c.partialEvents);
            expect(own(failed).length).to.be.lessThan(expected.size);
            for (const v of failedVersions)
              expect(expected.has(v), `failed run emitted ${v}, not a new alert`).to.equal(true);
            const beforeDoc = JSON.parse(checkpoint) as { watermark: string };
            const afterDoc = JSON.parse(after) as { watermark: string };
            expect(afterDoc.watermark, 'watermark after the failed run').to.equal(beforeDoc.watermark);
            const seenBefore = seenOf(checkpoint);
            const seenAfter = seenOf(after);
            const gained = [...seenAfter].filter((v) => !seenBefore.has(v));
            expect(new Set(gained), 'versions the checkpoint gained = versions the failed run emitted').to.deep.equal(
              new Set(failedVersions),
            );
            for (const v of seenBefore) expect(seenAfter.has(v), `checkpoint forgot ${v}`).to.equal(true);
          }

          e2e.emu.faults.clear();
          const recovery = await runStanza(e2e, { name, api, checkpointDir });
          assertNoSecrets(recovery.stderrLines.join('\n') + recovery.stdout.toString());
          expect(recovery.exitCode, describeRun(recovery)).to.equal(0);
          expect(errorLines(recovery)).to.deep.equal([]);
          const recovered = emittedVersions(api, recovery.events);
          expect(new Set([...failedVersions, ...recovered]), 'failed + recovery runs = every new alert').to.deep.equal(
            expected,
          );
          expect(own(recovery)).to.have.length(expected.size - own(failed).length);
          checkOnce([first, failed, recovery], currentVersions(e2e, api));
          // The recovery run moved the checkpoint on.
          expect(
            (JSON.parse(checkpointText(checkpointDir)) as { watermark: string }).watermark >
              (JSON.parse(checkpoint) as { watermark: string }).watermark,
          ).to.equal(true);
          // Last, so that a message without advice does not hide the checks above.
          expect(line, `the ERROR line says what to do: ${line}\n`).to.match(c.advice);
        });
      }

      if (api === 'graph') {
        // README/ta_microsoft_defender_settings.conf.spec: max_retries counts 5xx, resets and timeouts; throttling
        // (429)
        // is the API asking to come back later and is waited out as Retry-After says, up to 5 times, apart from it.
        it(`waits out more 429s (Retry-After: 1) than max_retries = ${MAX_RETRIES}, as the settings spec documents`, async () => {
          const name = `max_retries_429_${api}`;
          const { checkpointDir } = await arrange(name, 25);
          e2e.emu.addFault(onAlerts(api, { status: 429, retryAfter: 1 }, 1 + MAX_RETRIES));
          const run = await runStanza(e2e, { name, api, checkpointDir });
          assertNoSecrets(run.stderrLines.join('\n') + run.stdout.toString());
          expect(e2e.emu.faults.pending(), 'faults not hit').to.deep.equal([]);
          const throttled = levelLines(run, /^WARN /).filter((l) => hasFields(l, { action: 'throttled', status: 429 }));
          expect(
            throttled,
            `waits on 429 with [http] max_retries = ${MAX_RETRIES}\n${describeRun(run)}`,
          ).to.have.length(1 + MAX_RETRIES);
          expect(run.exitCode, describeRun(run)).to.equal(0);
          expect(errorLines(run), describeRun(run)).to.deep.equal([]);
          expect(own(run)).to.have.length(25);
        });
      }
    });
  }
});
