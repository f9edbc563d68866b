/**
 * Dashboards (default/data/ui/views), navigation and saved searches: the Dashboard Studio definitions pass Splunk's own
 * validator (@splunk/dashboard-validation with the schema of @splunk/dashboard-definition, after the same legacy-grid
 * → tabs migration Splunk Web applies), and every SPL query names only our macros, sourcetypes and eventtypes, and
 * reads only fields that exist (in the sample alerts, made by props.conf, or written by the input's log lines).
 */
import { defaultSchema as schema } from '@splunk/dashboard-definition';
import { migrateToTabsLayout } from '@splunk/dashboard-utils';
import { DashboardValidator } from '@splunk/dashboard-validation';
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import {
  ALERT_SOURCETYPES,
  alertSearchFields,
  COLLECTOR_LOG_FIELDS,
  INCIDENT_SOURCETYPE,
  incidentSearchFields,
  knowledgeRoot,
  readDefaultConf,
  readSamples,
  STREAM_LOG_FIELDS,
  STREAM_SOURCETYPE,
  streamSearchFields,
} from './lib/knowledge.js';
import { applySearchTime } from './lib/search-time.js';
import { runSearch, type Row } from './lib/spl-run.js';
import { analyseSpl } from './lib/spl-refs.js';

const viewsDir = join(knowledgeRoot, 'default', 'data', 'ui', 'views');
const macros = readDefaultConf('macros');
const eventtypes = readDefaultConf('eventtypes');
const OUR_SOURCETYPES = [
  ...Object.keys(ALERT_SOURCETYPES),
  INCIDENT_SOURCETYPE,
  'ms:defender:action',
  STREAM_SOURCETYPE,
];
const alertFields = alertSearchFields();
const incidentFields = incidentSearchFields();
const streamFields = streamSearchFields();

interface View {
  name: string;
  root: { name: string; attributes: Record<string, string> };
  label: string;
  definition: DashboardDefinition;
}

interface DashboardDefinition {
  title?: string;
  dataSources: Record<string, { type: string; options: { query: string } }>;
  visualizations: Record<
    string,
    {
      type: string;
      dataSources?: Record<string, string>;
      eventHandlers?: { type: string; options: { url?: string } }[];
    }
  >;
  inputs?: Record<string, unknown>;
  layout: unknown;
}

/** Parses a view file strictly (saxes) and returns its root attributes, label and definition JSON. */
function readView(file: string): View {
  const parser = new SaxesParser();
  let root: View['root'] | undefined;
  const texts: Record<string, string> = {};
  const stack: string[] = [];
  parser.on('opentag', (tag) => {
    if (!root) root = { name: tag.name, attributes: tag.attributes };
    stack.push(tag.name);
  });
  parser.on('closetag', () => stack.pop());
  const collect = (text: string) => {
    const at = stack.at(-1);
    if (at) texts[at] = (texts[at] ?? '') + text;
  };
  parser.on('text', collect);
  parser.on('cdata', collect);
  parser.write(readFileSync(join(viewsDir, file), 'utf8')).close();
  if (!root) throw new Error(`${file}: empty`);
  return {
    name: file.replace(/\.xml$/, ''),
    root,
    label: (texts.label ?? '').trim(),
    definition: JSON.parse(texts.definition ?? ''),
  };
}

// configuration.xml is the Configuration page (an HTML view, not a dashboard): test/web checks it.
const views = readdirSync(viewsDir)
  .filter((f) => f.endsWith('.xml') && f !== 'configuration.xml')
  .map(readView);

/**
 * Which fields a query may read: collector-log queries see _internal's fields, incident queries the incidents' fields,
 * the others our alert fields.
 */
function allowedFields(query: string): Set<string> {
  if (query.includes('`ta_msdefender_collector_logs`')) return COLLECTOR_LOG_FIELDS;
  if (query.includes('`ta_msdefender_stream_logs`')) return STREAM_LOG_FIELDS;
  if (query.includes('`ta_msdefender_stream`')) return streamFields;
  return query.includes('`ta_msdefender_incidents`') ? incidentFields : alertFields;
}

function checkQuery(query: string, where: string): string[] {
  const problems: string[] = [];
  const refs = analyseSpl(query);
  if (refs.macros.length === 0 && refs.sourcetypes.length === 0 && refs.eventtypes.length === 0)
    problems.push(`${where}: does not start from our macros`);
  for (const macro of refs.macros) if (!macros.has(macro)) problems.push(`${where}: unknown macro \`${macro}\``);
  for (const st of refs.sourcetypes)
    if (!OUR_SOURCETYPES.includes(st)) problems.push(`${where}: sourcetype ${st} is not ours`);
  for (const et of refs.eventtypes) if (!eventtypes.has(et)) problems.push(`${where}: unknown eventtype ${et}`);
  if (refs.indexes.length > 0)
    problems.push(`${where}: names an index (${refs.indexes.join(', ')}); use the ta_msdefender_index macro`);
  const allowed = allowedFields(query);
  for (const field of refs.fields)
    if (!allowed.has(field))
      problems.push(`${where}: reads ${field}, which no sample alert, props.conf or log line provides`);
  return problems;
}

describe('dashboards, navigation and saved searches', () => {
  const validator = new DashboardValidator();
  before(() => expect(validator.setSchema(schema)).to.equal(null));

  it('ships the four dashboards', () => {
    const names = views.map((v) => v.name).sort();
    expect(names).to.deep.equal(['collector_health', 'defender_alerts', 'defender_incidents', 'defender_streaming']);
  });

  for (const view of views) {
    describe(`${view.name}.xml`, () => {
      it('is a Dashboard Studio view (version 2) with a label', () => {
        expect(view.root.name).to.equal('dashboard');
        expect(view.root.attributes.version).to.equal('2');
        expect(view.label).to.not.equal('');
      });

      it("passes Splunk's Dashboard Studio validator", () => {
        const migrated = migrateToTabsLayout({ definition: view.definition });
        expect(migrated.success, 'layout migration').to.equal(true);
        expect(validator.validate(migrated.definition, [])).to.equal(null);
      });

      it('binds every visualization to a data source that exists, and uses every data source', () => {
        const used = new Set<string>();
        for (const [id, viz] of Object.entries(view.definition.visualizations)) {
          for (const ds of Object.values(viz.dataSources ?? {})) {
            expect(view.definition.dataSources, `${id} → ${ds}`).to.have.property(ds);
            used.add(ds);
          }
        }
        expect([...used].sort()).to.deep.equal(Object.keys(view.definition.dataSources).sort());
      });

      it('queries only our macros, sourcetypes and eventtypes, and only fields that exist', () => {
        const problems = Object.entries(view.definition.dataSources).flatMap(([id, ds]) =>
          checkQuery(ds.options.query, `${view.name}/${id}`),
        );
        expect(problems).to.deep.equal([]);
      });
    });
  }

  it('drills down from the high-severity table to the alert in the Defender portal', () => {
    const alerts = views.find((v) => v.name === 'defender_alerts');
    const table = alerts?.definition.visualizations.viz_new_high;
    expect(table?.eventHandlers?.[0]).to.deep.include({ type: 'drilldown.customUrl' });
    expect(table?.eventHandlers?.[0]?.options.url).to.equal('$row.alert_url.value$');
    const query = alerts?.definition.dataSources[table?.dataSources?.primary ?? '']?.options.query ?? '';
    expect(query).to.match(/\| table .*\balert_url\b/);
  });

  describe('what the panels show, run offline (test/app/lib/spl-run.ts)', () => {
    const props = readDefaultConf('props');
    const context = { macros, eventtypes, now: Date.UTC(2024, 4, 2) / 1000 };
    const query = (view: string, ds: string): string =>
      views.find((v) => v.name === view)?.definition.dataSources[ds]?.options.query ?? '';
    const template = readSamples('graph')[1] as Record<string, unknown>;
    const alert = (id: string, time: number, severity: string, status: string): Row => {
      const raw = JSON.stringify({
        ...template,
        id,
        severity,
        status,
        lastUpdateDateTime: new Date(time * 1000).toISOString(),
      });
      const row = applySearchTime(props, 'ms:defender:graph:alerts', raw);
      row
        .set('_time', time)
        .set('_indextime', time + 300)
        .set('index', 'defender');
      return row;
    };
    const t = context.now - 3600;
    const events = [
      alert('downgraded', t, 'high', 'new'),
      alert('downgraded', t + 60, 'low', 'new'),
      alert('resolved', t, 'high', 'new'),
      alert('resolved', t + 60, 'high', 'resolved'),
      alert('raised', t, 'low', 'new'),
      alert('raised', t + 60, 'high', 'new'),
      alert('open', t, 'medium', 'new'),
    ];

    it('lists in "New high-severity alerts" and counts in "High and critical" only alerts whose latest version is high or critical (defect 2)', () => {
      const listed = runSearch(query('defender_alerts', 'ds_new_high'), events, context).map((r) => r.get('id'));
      expect(listed).to.deep.equal(['raised']);
      const high = runSearch(query('defender_alerts', 'ds_high'), events, context);
      expect(
        high.map((r) => r.get('alerts')),
        'raised, and resolved (high, resolved)',
      ).to.deep.equal([2]);
      const open = runSearch(query('defender_alerts', 'ds_open'), events, context);
      expect(open.map((r) => r.get('alerts'))).to.deep.equal([3]);
    });

    const run = (time: number, status: string, extra: Record<string, string>): Row =>
      new Map<string, string | number>([
        ['_time', time],
        ['_indextime', time + 2],
        ['index', '_internal'],
        ['sourcetype', 'splunkd'],
        ['component', 'ExecProcessor'],
        ['_raw', `INFO defender_alerts action=run_end input=defender_alerts://prod status=${status}`],
        ['action', 'run_end'],
        ['input', 'defender_alerts://prod'],
        ['api', 'graph'],
        ['status', status],
        ['duration_s', '1.2'],
        ...Object.entries(extra),
      ]);
    const logs = [
      run(t, 'ok', { lag_s: '2.5', n_events: '3', pages: '1' }),
      run(t + 300, 'error', { error: 'api_timeout', lag_s: '1800.0' }),
      run(t + 600, 'error', { error: 'auth_bad_secret' }),
    ];

    it('shows, for an input whose latest run failed, its latest error and "failing" as lag, never the last good lag (defect 9)', () => {
      const [row] = runSearch(query('collector_health', 'ds_inputs'), logs, context);
      expect(row?.get('last_status')).to.equal('error');
      expect(row?.get('last_error')).to.equal('auth_bad_secret');
      expect(row?.get('lag_s')).to.equal('failing');
      const recovered = runSearch(
        query('collector_health', 'ds_inputs'),
        [...logs, run(t + 900, 'ok', { lag_s: '3.0' })],
        context,
      );
      expect(recovered[0]?.get('lag_s')).to.equal('3.0');
      expect(recovered[0]?.get('last_error')).to.equal('');
    });

    it('shows the replay_from value of an input while its replay is in progress, and on the run that ends it', () => {
      const replaying = [
        run(t, 'page_cap', { lag_s: '900.0', replay: '-2d', replay_done: 'false', replay_events: '500' }),
        run(t + 300, 'ok', { lag_s: '2.0', replay: '-2d', replay_done: 'true', replay_events: '120' }),
      ];
      const inProgress = runSearch(query('collector_health', 'ds_inputs'), replaying.slice(0, 1), context);
      expect(inProgress[0]?.get('replay')).to.equal('-2d (in progress)');
      const done = runSearch(query('collector_health', 'ds_inputs'), replaying, context);
      expect(done[0]?.get('replay')).to.equal('-2d (done)');
      const after = [...replaying, run(t + 600, 'ok', { lag_s: '2.0' })];
      const later = runSearch(query('collector_health', 'ds_inputs'), after, context);
      expect(later[0]?.get('replay')).to.equal('');
    });

    it('charts no lag for failed runs (defect 9)', () => {
      const rows = runSearch(query('collector_health', 'ds_lag_time'), logs, context);
      const charted = rows.flatMap((r) => [...r].filter(([k]) => k !== '_time').map(([, v]) => v));
      expect(charted).to.deep.equal([2.5]);
    });
  });

  it('the validator catches a broken definition (so its passing means something)', () => {
    const broken = structuredClone(views[0]?.definition) as DashboardDefinition;
    broken.visualizations.viz_orphan = { type: 'splunk.table', dataSources: {} };
    const errors = validator.validate(migrateToTabsLayout({ definition: broken }).definition, []);
    expect(JSON.stringify(errors)).to.contain('Visualization \\"viz_orphan\\" is not present in any Layout Structure');
  });

  it('the field check catches a field that does not exist', () => {
    expect(checkQuery('`ta_msdefender_alerts` | stats count BY computer_name', 'x')).to.deep.equal([
      'x: reads computer_name, which no sample alert, props.conf or log line provides',
    ]);
    expect(checkQuery('index=main sourcetype=other | stats count', 'y')).to.deep.equal([
      'y: sourcetype other is not ours',
      'y: names an index (main); use the ta_msdefender_index macro',
    ]);
  });

  it('navigation lists the four dashboards, the default one first', () => {
    const nav = readFileSync(join(knowledgeRoot, 'default', 'data', 'ui', 'nav', 'default.xml'), 'utf8');
    const names = [...nav.matchAll(/<view name="([^"]+)"/g)].map((m) => m[1]);
    expect(names.slice(0, 4)).to.deep.equal([
      'defender_alerts',
      'defender_incidents',
      'collector_health',
      'defender_streaming',
    ]);
    expect(nav).to.match(/<view name="defender_alerts" default="true"/);
  });

  describe('saved searches', () => {
    const saved = readDefaultConf('savedsearches');
    const names = [...saved.keys()].filter((n) => n !== 'default');

    it('ships the three SOC alerts, disabled and scheduled', () => {
      expect(names.sort()).to.deep.equal([
        'Defender - Collector failing',
        'Defender - New high severity alerts',
        'Defender - Stream partition stalled',
      ]);
      for (const name of names) {
        const s = saved.get(name);
        expect(s?.get('disabled')?.value, name).to.equal('1');
        expect(s?.get('enableSched')?.value, name).to.equal('1');
        expect(s?.get('cron_schedule')?.value, name).to.match(/^\S+ \S+ \S+ \S+ \S+$/);
        expect(s?.get('counttype')?.value, name).to.equal('number of events');
      }
      expect(saved.get('Defender - New high severity alerts')?.get('cron_schedule')?.value).to.equal('*/5 * * * *');
    });

    it('queries only our objects and existing fields', () => {
      const problems = names.flatMap((name) => checkQuery(saved.get(name)?.get('search')?.value ?? '', name));
      expect(problems).to.deep.equal([]);
    });

    it('fires "Collector failing" only when the 3 latest runs of an input all failed', () => {
      const search = saved.get('Defender - Collector failing')?.get('search')?.value ?? '';
      expect(search).to.contain('action=run_end');
      expect(search).to.contain('streamstats count AS run_rank BY input');
      expect(search).to.contain('where runs = 3 AND failed_runs = 3');
    });
  });
});
