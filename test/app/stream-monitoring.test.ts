/**
 * Watching the defender_stream inputs from their own log lines (splunkd.log, index=_internal): the Defender streaming
 * dashboard's partition and error panels, and the saved search "Defender - Stream partition stalled", run offline
 * (test/app/lib/spl-run.ts) with their own SPL over in-memory lines shaped as the input writes them: a status line per
 * partition every 30 s (action=partition_status ... lag_events lag_s n_records), stream_error / stream_recovered once
 * per outage, non_record_message WARNs. The expected partitions are named by the scenario, not computed from the SPL.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { knowledgeRoot, readDefaultConf } from './lib/knowledge.js';
import { resolveTime, runSearch, type Row } from './lib/spl-run.js';

const macros = readDefaultConf('macros');
const eventtypes = readDefaultConf('eventtypes');
const saved = readDefaultConf('savedsearches');
const NAME = 'Defender - Stream partition stalled';
const setting = (key: string): string => saved.get(NAME)?.get(key)?.value ?? '';

/** A dashboard's data source query, by view and id. */
function query(viewName: string, id: string): string {
  const view = readFileSync(join(knowledgeRoot, 'default', 'data', 'ui', 'views', `${viewName}.xml`), 'utf8');
  const definition = JSON.parse(/<definition><!\[CDATA\[([\s\S]*?)\]\]><\/definition>/.exec(view)?.[1] ?? '{}') as {
    dataSources: Record<string, { options: { query: string } }>;
  };
  const found = definition.dataSources[id]?.options.query;
  if (!found) throw new Error(`${viewName}.xml has no data source ${id}`);
  return found;
}
const panel = (id: string): string => query('defender_streaming', id);

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0) / 1000;
const INPUT = 'defender_stream://prod';
const STATUS_EVERY_S = 30;

/** One splunkd.log line of the input, with the fields splunkd's key=value extraction gives it. */
function line(time: number, level: string, fields: Record<string, string | number>): Row {
  const pairs = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const row: Row = new Map<string, string | number>([
    ['_time', time],
    ['_indextime', time + 2],
    ['index', '_internal'],
    ['sourcetype', 'splunkd'],
    ['component', 'ExecProcessor'],
    ['log_level', 'ERROR'],
    [
      '_raw',
      `ERROR ExecProcessor - message from "/opt/splunk/etc/apps/TA-microsoft-defender/bin/defender_stream.sh" ${level} ${pairs}`,
    ],
  ]);
  for (const [k, v] of Object.entries(fields)) row.set(k, String(v));
  return row;
}

/** A partition's status lines over [from, to): lag and records as functions of the line's time. */
function statusLines(
  input: string,
  partition: string,
  from: number,
  to: number,
  at: (t: number) => { checkpoint: number; lastEnqueued: number; records: number },
): Row[] {
  const out: Row[] = [];
  for (let t = from; t < to; t += STATUS_EVERY_S) {
    const { checkpoint, lastEnqueued, records } = at(t);
    out.push(
      line(t, 'INFO', {
        action: 'partition_status',
        input,
        namespace: 'contoso.servicebus.windows.net',
        hub: 'defender',
        partition,
        checkpoint_sequence: checkpoint,
        last_enqueued_sequence: lastEnqueued,
        lag_events: lastEnqueued - checkpoint,
        lag_s: lastEnqueued > checkpoint ? Math.round((t - from) * 10) / 10 : 0,
        n_records: records,
      }),
    );
  }
  return out;
}

const START = NOW - 3600;
const minutes = (t: number): number => Math.floor((t - START) / 60);
/** Partition 0 stalls 25 minutes before NOW: its checkpoint stops while Defender keeps publishing to it. */
const stalled = statusLines(INPUT, '0', START, NOW, (t) => {
  const stopped = t >= NOW - 25 * 60;
  return {
    checkpoint: stopped ? 35 * 400 : minutes(t) * 400,
    lastEnqueued: minutes(t) * 400 + 40,
    records: stopped ? 0 : 200,
  };
});
/** Partition 1 is caught up on a quiet hub: nothing enqueued, nothing written, lag 0. */
const quiet = statusLines(INPUT, '1', START, NOW, () => ({ checkpoint: 999, lastEnqueued: 999, records: 0 }));
/** Partition 2 is reading, a little behind: records written, checkpoint moving. */
const reading = statusLines(INPUT, '2', START, NOW, (t) => ({
  checkpoint: minutes(t) * 300,
  lastEnqueued: minutes(t) * 300 + 25,
  records: 150,
}));
/** Partition 3 holds only categories the input leaves out: nothing written, but its checkpoint moves. */
const filtered = statusLines(INPUT, '3', START, NOW, (t) => ({
  checkpoint: minutes(t) * 50,
  lastEnqueued: minutes(t) * 50 + 3,
  records: 0,
}));
/** Partition 4 stalled for 20 minutes earlier and has been writing again for the last 10. */
const resumed = statusLines(INPUT, '4', START, NOW, (t) => {
  const stuck = t >= NOW - 30 * 60 && t < NOW - 10 * 60;
  return { checkpoint: stuck ? 5000 : minutes(t) * 200, lastEnqueued: minutes(t) * 200 + 10, records: stuck ? 0 : 100 };
});

const outage = [
  line(NOW - 3 * 3600, 'ERROR', {
    action: 'stream_error',
    input: 'defender_stream://dr',
    error: 'amqp_unauthorized',
  }),
];
const recovered = [
  line(NOW - 2 * 3600, 'ERROR', { action: 'stream_error', input: 'defender_stream://lab', error: 'amqp_connection' }),
  line(NOW - 2 * 3600 + 300, 'INFO', { action: 'stream_recovered', input: 'defender_stream://lab', outage_s: 300 }),
];
const warning = line(NOW - 600, 'WARN', {
  action: 'non_record_message',
  input: INPUT,
  partition: '2',
  sequence: 18_442,
});

const context = { macros, eventtypes, now: NOW, earliest: '-24h', latest: 'now' };
const key = (r: Row): string => `${String(r.get('input'))} #${String(r.get('partition'))}`;

/** Runs the saved search as its schedule would at `now`, with its own dispatch times. */
function fire(lines: Row[], now = NOW): string[] {
  return runSearch(setting('search'), lines, {
    macros,
    eventtypes,
    now,
    earliest: setting('dispatch.earliest_time'),
    latest: setting('dispatch.latest_time'),
  })
    .map((r) => `${key(r)} ${String(r.get('reason'))}`)
    .sort();
}

describe('Defender streaming dashboard: partitions and errors from the input log lines', () => {
  const all = [...stalled, ...quiet, ...reading, ...filtered, ...resumed, ...outage, ...recovered, warning];

  it('shows each partition of each input once, with its latest lag, and the stalled one as stalled', () => {
    const rows = runSearch(panel('ds_partitions'), all, context);
    const states = Object.fromEntries(rows.map((r) => [key(r), r.get('state')]));
    expect(states).to.deep.equal({
      [`${INPUT} #0`]: 'stalled',
      [`${INPUT} #1`]: 'caught up',
      [`${INPUT} #2`]: 'reading',
      [`${INPUT} #3`]: 'reading',
      [`${INPUT} #4`]: 'reading',
    });
    const zero = rows.find((r) => r.get('partition') === '0');
    expect(zero?.get('lag_events'), 'the latest status line of partition 0').to.equal(
      String(minutes(NOW - 30) * 400 + 40 - 35 * 400),
    );
    expect(zero?.get('n_records')).to.equal(0);
    expect(runSearch(panel('ds_stalled'), all, context).map((r) => r.get('partitions'))).to.deep.equal([1]);
  });

  it('shows the same partition states on the Collector health dashboard', () => {
    const rows = runSearch(query('collector_health', 'ds_stream_partitions'), all, context);
    expect(rows.map((r) => `${key(r)} ${String(r.get('state'))}`).sort()).to.deep.equal([
      `${INPUT} #0 stalled`,
      `${INPUT} #1 caught up`,
      `${INPUT} #2 reading`,
      `${INPUT} #3 reading`,
      `${INPUT} #4 reading`,
    ]);
  });

  it('lists the stream error, the recovery and the non-record message', () => {
    const rows = runSearch(panel('ds_errors'), all, context);
    expect(rows.map((r) => `${String(r.get('action'))} ${String(r.get('input'))}`)).to.deep.equal([
      `non_record_message ${INPUT}`,
      'stream_recovered defender_stream://lab',
      'stream_error defender_stream://lab',
      'stream_error defender_stream://dr',
    ]);
    expect(rows[0]?.get('sequence')).to.equal('18442');
    expect(runSearch(panel('ds_errors_count'), all, context).map((r) => r.get('errors'))).to.deep.equal([2]);
  });

  it('charts the lag of every partition, the stalled one growing', () => {
    // Four hours of a partition stuck at one checkpoint while Defender keeps publishing, and one caught up.
    const stuck = statusLines(INPUT, '5', NOW - 4 * 3600, NOW, (t) => ({
      checkpoint: 100,
      lastEnqueued: 100 + Math.floor((t - NOW + 4 * 3600) / 60),
      records: 0,
    }));
    const idle = statusLines(INPUT, '1', NOW - 4 * 3600, NOW, () => ({ checkpoint: 7, lastEnqueued: 7, records: 0 }));
    const rows = runSearch(panel('ds_lag_time'), [...stuck, ...idle], context);
    const series = rows.map((r) => Number(r.get(`${INPUT} #5`)));
    expect(series.length).to.be.above(2);
    expect(series.every((v, i) => i === 0 || v > (series[i - 1] ?? Infinity))).to.equal(true);
    expect(rows.map((r) => Number(r.get(`${INPUT} #1`)))).to.deep.equal(series.map(() => 0));
  });
});

describe(`saved search "${NAME}"`, () => {
  it('is scheduled every 5 minutes over 24 hours, suppressed per input and partition', () => {
    expect([
      setting('cron_schedule'),
      setting('dispatch.earliest_time'),
      setting('alert.suppress.fields'),
    ]).to.deep.equal(['*/5 * * * *', '-24h', 'input,partition']);
    expect(resolveTime(setting('dispatch.earliest_time'), NOW)).to.be.below(outage[0]?.get('_time') as number);
  });

  it('fires for the stalled partition and for the input whose outage never recovered, and for nothing else', () => {
    const all = [...stalled, ...quiet, ...reading, ...filtered, ...resumed, ...outage, ...recovered, warning];
    expect(fire(all)).to.deep.equal(['defender_stream://dr #- stream_error', `${INPUT} #0 stalled`]);
  });

  it('does not fire for a caught-up partition, a quiet hub (lag 0), or a partition whose records are all filtered out', () => {
    expect(fire([...quiet, ...reading, ...filtered])).to.deep.equal([]);
  });

  it('does not fire before 15 minutes without records (the partition stalled 10 minutes ago), and fires after', () => {
    expect(fire(stalled, NOW - 15 * 60)).to.deep.equal([]);
    expect(
      fire(
        stalled.filter((r) => (r.get('_time') as number) < NOW - 5 * 60),
        NOW - 5 * 60,
      ),
    ).to.deep.equal([`${INPUT} #0 stalled`]);
  });

  it('stops firing once the partition writes records again, and once the outage is followed by stream_recovered', () => {
    expect(fire(resumed)).to.deep.equal([]);
    const healed = [
      ...outage,
      line(NOW - 60, 'INFO', { action: 'stream_recovered', input: 'defender_stream://dr', outage_s: 10_740 }),
    ];
    expect(fire(healed)).to.deep.equal([]);
  });
});

describe('test/app/lib/spl-run.ts: the commands these searches added', () => {
  const rows = (): Row[] =>
    [
      [100, 'a', '5'],
      [200, 'a', '10'],
      [300, 'b', '9'],
      [400, 'a', '4'],
    ].map(
      ([t, g, v]) =>
        new Map<string, string | number>([
          ['_time', t as number],
          ['_indextime', t as number],
          ['_raw', 'x'],
          ['g', g as string],
          ['v', v as string],
        ]),
    );
  const ctx = { macros, eventtypes, now: 1000 };

  it('streamstats count AS n BY g numbers the rows of each g from 1, newest first after sort 0 -_time', () => {
    const out = runSearch('x | sort 0 -_time | streamstats count AS n BY g', rows(), ctx);
    expect(out.map((r) => `${String(r.get('g'))}${String(r.get('n'))}@${String(r.get('_time'))}`)).to.deep.equal([
      'a1@400',
      'b1@300',
      'a2@200',
      'a3@100',
    ]);
    expect(() => runSearch('x | streamstats sum(v) AS s BY g', rows(), ctx)).to.throw(/streamstats form not modelled/);
  });

  it('stats min() and max() compare numbers, not text', () => {
    const [a] = runSearch('x | search g=a | stats min(v) AS low max(v) AS high', rows(), ctx);
    expect([a?.get('low'), a?.get('high')]).to.deep.equal([4, 10]);
  });
});
