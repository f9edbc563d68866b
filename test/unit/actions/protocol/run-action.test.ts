import { expect } from 'chai';
import { parseActionPayload } from '../../../../src/actions/protocol/payload.js';
import { toResultRowFromObject, type ResultRow } from '../../../../src/actions/protocol/result-rows.js';
import { runAlertAction, type ActionServices } from '../../../../src/actions/protocol/run-action.js';
import {
  mergeSettings,
  submitIndicatorAction,
} from '../../../../src/actions/submit-indicator/submit-indicator-action.js';
import { updateAlertAction } from '../../../../src/actions/update-alert/update-alert-action.js';
import { ConfigError, SplunkdError } from '../../../../src/errors.js';
import { createLogger } from '../../../../src/modinput/logger.js';
import type { HttpClient, SplunkdClient } from '../../../../src/ports.js';
import { ManualClock } from '../../../fakes/memory-ports.js';
import { FakeHttpClient } from '../../../helpers/fake-http-client.js';

const SECRET = 'unit-Secret~value_0123456789abcdef';
const SESSION_KEY = 'unit-session-key-0123456789';
const TENANT = '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a';
const CLIENT = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';

class MemorySplunkd implements SplunkdClient {
  events: { data: string; sourcetype: string; source?: string; index?: string }[] = [];
  down = false;
  constructor(private readonly inputs: Record<string, Record<string, string>>) {}
  async getSecret(_realm: string, user: string) {
    return user === 'prod' ? SECRET : undefined;
  }
  async putSecret() {}
  async deleteSecret() {
    return false;
  }
  async updateInput() {}
  async getInput(_scheme: string, name: string) {
    return this.inputs[name];
  }
  async getConfStanza() {
    return undefined;
  }
  async sendEvent(event: { data: string; sourcetype: string; source?: string; index?: string }) {
    if (this.down) throw new SplunkdError('splunkd_unreachable', 'Cannot reach splunkd at https://127.0.0.1:8089');
    this.events.push(event);
  }
}

function setup(options: { rows: Record<string, unknown>[]; http?: HttpClient; api?: string }) {
  const splunkd = new MemorySplunkd({
    prod: { tenant_id: TENANT, client_id: CLIENT, client_secret: '<encrypted>', api: options.api ?? 'mde' },
  });
  const lines: string[] = [];
  const log = createLogger({ write: (text: string) => lines.push(...text.trimEnd().split('\n')) }, { level: 'INFO' });
  const services: ActionServices = {
    createSplunkd: () => splunkd,
    createDefenderHttp: async () => options.http ?? new FakeHttpClient(),
    async *readRows(): AsyncGenerator<ResultRow> {
      for (const row of options.rows) yield toResultRowFromObject(row);
    },
  };
  const outcomes = () =>
    splunkd.events.flatMap((e) => e.data.split('\n')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { splunkd, lines, log, services, outcomes };
}

function payload(configuration: Record<string, string>): string {
  return JSON.stringify({
    server_uri: 'https://127.0.0.1:8089',
    session_key: SESSION_KEY,
    results_file: '/tmp/x.csv.gz',
    sid: 'sid9',
    search_name: 'S',
    configuration,
  });
}

async function* chunks(text: string) {
  yield Buffer.from(text);
}

const clock = () => new ManualClock(Date.parse('2025-01-15T12:00:00Z'));

describe('alert action runner', () => {
  it('parses the payload and lists every missing field at once', () => {
    expect(() => parseActionPayload('not json')).to.throw(ConfigError, /payload_format = json/);
    const error = (() => {
      try {
        parseActionPayload('{"configuration":[]}');
      } catch (e) {
        return e as ConfigError;
      }
    })()!;
    expect(error.problems).to.have.length(4);
    const p = parseActionPayload(payload({ status: 'resolved' }));
    expect(p).to.include({
      serverUri: 'https://127.0.0.1:8089',
      resultsFile: '/tmp/x.csv.gz',
      sid: 'sid9',
      searchName: 'S',
    });
    expect(p.configuration).to.deep.equal({ status: 'resolved' });
  });

  it('answers anything but --execute with one ERROR line and exit code 2', async () => {
    const { lines, log, services } = setup({ rows: [] });
    const code = await runAlertAction(
      updateAlertAction,
      { argv: ['--scheme'], stdin: chunks(''), log, clock: clock(), signal: new AbortController().signal },
      services,
    );
    expect(code).to.equal(2);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^ERROR .*--execute/);
  });

  it('records every row as invalid when the parameters are wrong, and says so in one ERROR line', async () => {
    const { lines, log, services, outcomes } = setup({ rows: [{ id: 'da1_1' }, { id: 'da2_2' }, {}] });
    const code = await runAlertAction(
      updateAlertAction,
      {
        argv: ['--execute'],
        stdin: chunks(payload({ input: 'prod', status: 'closed' })),
        log,
        clock: clock(),
        signal: new AbortController().signal,
      },
      services,
    );
    expect(code).to.equal(1);
    expect(outcomes().map((o) => [o.row, o.outcome])).to.deep.equal([
      [3, 'skipped'],
      [1, 'invalid'],
      [2, 'invalid'],
    ]);
    expect(outcomes()[1]!.error).to.match(/^status "closed" is not an alert status/);
    expect(outcomes()[1]).to.include({ input: 'prod', sid: 'sid9', search_name: 'S', action: 'defender_update_alert' });
    const errors = lines.filter((l) => l.startsWith('ERROR'));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.include('status "closed"');
    expect(lines.find((l) => l.startsWith('INFO Alert action finished'))).to.match(
      /n_rows=3 n_items=3 succeeded=0 failed=0 invalid=2 skipped=1 dry_run=0/,
    );
  });

  it('exits 0 for a dry run that validated every row, without any HTTP call', async () => {
    const http = new FakeHttpClient();
    const { log, services, outcomes } = setup({ rows: [{ id: 'da1_1' }], http });
    const code = await runAlertAction(
      updateAlertAction,
      {
        argv: ['--execute'],
        stdin: chunks(payload({ input: 'prod', status: 'resolved', dry_run: 'true' })),
        log,
        clock: clock(),
        signal: new AbortController().signal,
      },
      services,
    );
    expect(code).to.equal(0);
    expect(outcomes()).to.deep.include({
      action: 'defender_update_alert',
      outcome: 'dry_run',
      id: 'da1_1',
      http_status: null,
      error: null,
      row: 1,
      search_name: 'S',
      sid: 'sid9',
      input: 'prod',
      api: 'mde',
      change: { status: 'resolved' },
      dry_run: true,
    });
    expect(http.requests).to.have.length(0);
  });

  it('masks the client secret and session key in outcome events and log lines even if an API error echoes them', async () => {
    const http = new FakeHttpClient().serve(
      () => true,
      () => new Error(`echo ${SECRET} and ${SESSION_KEY}`),
    );
    const { lines, log, services, splunkd } = setup({ rows: [{ id: 'da1_1' }], http, api: 'graph' });
    const code = await runAlertAction(
      updateAlertAction,
      {
        argv: ['--execute'],
        stdin: chunks(payload({ input: 'prod', status: 'resolved' })),
        log,
        clock: clock(),
        signal: new AbortController().signal,
      },
      services,
    );
    expect(code).to.equal(1);
    const all = [...lines, ...splunkd.events.map((e) => e.data)].join('\n');
    expect(all).to.include('echo *** and ***');
    expect(all).not.to.include(SECRET);
    expect(all).not.to.include(SESSION_KEY);
  });

  it('exits non-zero when the outcome events cannot be written, after doing the work', async () => {
    const { lines, log, services, splunkd } = setup({
      rows: [{ indicator: '203.0.113.5' }],
      http: new FakeHttpClient()
        .serve(
          (url) => url.includes('/api/indicators?'),
          () => ({ body: { value: [] } }),
        )
        .serve(
          (url) => url.endsWith('/import'),
          () => ({ body: { value: [{ id: '1', indicator: '203.0.113.5', isFailed: false }] } }),
        ),
    });
    splunkd.down = true;
    const code = await runAlertAction(
      submitIndicatorAction,
      {
        argv: ['--execute'],
        stdin: chunks(payload({ input: 'prod', action: 'Block' })),
        log,
        clock: clock(),
        signal: new AbortController().signal,
      },
      services,
    );
    expect(code).to.equal(1);
    expect(lines.filter((l) => l.startsWith('WARN Could not write outcome events'))).to.have.length(1);
    expect(lines.find((l) => l.startsWith('INFO Alert action finished'))).to.match(/succeeded=1 .*unsent_events=1/);
    expect(lines.filter((l) => l.startsWith('ERROR'))[0]).to.match(/outcome events could not be written/);
  });

  it('lets the indicator_<parameter> field of a row override that parameter for that row only, never the value field', () => {
    const config = { action: 'Block', severity: 'Low', rbac_group_names: 'A, B', title: 'T' };
    const row = toResultRowFromObject({
      indicator: 'evil.example',
      indicator_action: 'Warn',
      indicator_rbac_group_names: ['C', 'D'],
      indicator_severity: '',
    });
    expect(mergeSettings(config, row, 'indicator')).to.deep.equal({
      action: 'Warn',
      title: 'T',
      severity: 'Low',
      rbac_group_names: ['C', 'D'],
    });
    expect(
      mergeSettings(config, toResultRowFromObject({ indicator_title: 'evil.example' }), 'indicator_title').title,
    ).to.equal('T');
  });

  it('never takes a setting from a CIM field of the same bare name (action=allowed, type=alert, severity)', () => {
    // A Block search over CIM Malware/IDS/Web results carries action=allowed; this add-on's alerts carry type=alert.
    const config = { action: 'Block', severity: 'High', type: 'FileSha256', title: 'T' };
    const row = toResultRowFromObject({
      indicator: 'a'.repeat(64),
      action: 'allowed',
      type: 'alert',
      severity: 'informational',
      title: 'Some alert',
    });
    expect(mergeSettings(config, row, 'indicator')).to.deep.equal({
      type: 'FileSha256',
      action: 'Block',
      title: 'T',
      severity: 'High',
    });
  });
});
