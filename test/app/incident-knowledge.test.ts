/**
 * The incidents' knowledge objects (api = incidents): props.conf [ms:defender:graph:incidents] evaluated offline on
 * every sample incident against values computed here from the parsed incident, the eventtype and macro, and what the
 * "Defender incidents" dashboard shows when its searches run offline (test/app/lib/spl-run.ts) over incident versions.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INCIDENT_SOURCETYPE, knowledgeRoot, readDefaultConf, readSamples } from './lib/knowledge.js';
import { applySearchTime, valuesOf } from './lib/search-time.js';
import { functionsCalled, KNOWN_FUNCTIONS } from './lib/spl-eval.js';
import { runSearch, type Row } from './lib/spl-run.js';

const props = readDefaultConf('props');
const macros = readDefaultConf('macros');
const eventtypes = readDefaultConf('eventtypes');
const tags = readDefaultConf('tags');
const stanza = props.get(INCIDENT_SOURCETYPE);

/** The incident's enum values as the fields should carry them, computed from the parsed incident. */
function expectedFields(incident: Record<string, unknown>): Record<string, string | undefined> {
  const word = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const lower = (v: unknown) => word(v)?.toLowerCase();
  const severities = ['high', 'medium', 'low', 'informational'];
  const statuses: Record<string, string> = {
    active: 'active',
    inprogress: 'in_progress',
    resolved: 'resolved',
    redirected: 'redirected',
    awaitingaction: 'awaiting_action',
  };
  const determinations: Record<string, string> = { notmalicious: 'clean', multistagedattack: 'multiStagedAttack' };
  const classifications: Record<string, string> = { truepositive: 'truePositive', falsepositive: 'falsePositive' };
  const created = word(incident.createdDateTime);
  return {
    id: word(incident.id),
    incident_name: word(incident.displayName),
    incident_url: word(incident.incidentWebUrl),
    assigned_to: word(incident.assignedTo),
    severity: severities.includes(lower(incident.severity) ?? '') ? lower(incident.severity) : 'unknown',
    status: statuses[lower(incident.status) ?? ''] ?? 'unknown',
    classification: classifications[lower(incident.classification) ?? ''] ?? word(incident.classification),
    determination: determinations[lower(incident.determination) ?? ''] ?? word(incident.determination),
    created_time: created === undefined ? undefined : String(Math.floor(Date.parse(created) / 1000)),
  };
}

/** The sample incidents, plus the documentation's own example in its PascalCase spelling. */
const samples: Record<string, unknown>[] = [
  ...readSamples('incidents'),
  {
    ...readSamples('incidents')[0],
    id: '2972398',
    status: 'Active',
    classification: 'TruePositive',
    determination: 'MultiStagedAttack',
    severity: 'Medium',
    assignedTo: null,
    createdDateTime: '2021-08-13T08:43:35Z',
  },
  { ...readSamples('incidents')[1], id: '2972399', determination: 'notMalicious', status: 'awaitingAction' },
  { ...readSamples('incidents')[1], id: '2972400', status: 'InProgress', severity: 'UnknownFutureValue' },
];

describe('incidents knowledge (props, eventtype, macro, the Defender incidents dashboard)', () => {
  it('parses incident events as one-line JSON timed by their lastUpdateDateTime, with only modelled functions', () => {
    expect(stanza?.get('KV_MODE')?.value).to.equal('json');
    expect(stanza?.get('SHOULD_LINEMERGE')?.value).to.equal('false');
    expect(stanza?.has('INDEXED_EXTRACTIONS')).to.equal(false);
    const prefix = new RegExp(stanza?.get('TIME_PREFIX')?.value ?? '(?!)');
    for (const incident of samples) {
      const raw = JSON.stringify(incident);
      const m = prefix.exec(raw);
      expect(m, String(incident.id)).to.not.equal(null);
      expect(raw.slice(m!.index + m![0].length)).to.match(
        new RegExp(`^${String(incident.lastUpdateDateTime).replace('.', '\\.')}`),
      );
    }
    for (const [key, { value }] of stanza ?? []) {
      if (!key.startsWith('EVAL-')) continue;
      for (const fn of functionsCalled(value)) expect(KNOWN_FUNCTIONS.has(fn), `${key} calls ${fn}()`).to.equal(true);
    }
  });

  it('gives every sample incident the fields an analyst filters on, in one spelling each', () => {
    for (const incident of samples) {
      const fields = applySearchTime(props, INCIDENT_SOURCETYPE, JSON.stringify(incident));
      const want = expectedFields(incident);
      for (const [name, value] of Object.entries(want)) {
        expect(valuesOf(fields, name), `${String(incident.id)}: ${name}`).to.deep.equal(
          value === undefined ? [] : [value],
        );
      }
      expect(valuesOf(fields, 'vendor_product')).to.deep.equal(['Microsoft Defender XDR']);
    }
  });

  it('has an eventtype and a macro for incidents, not tagged alert (the alerts inside are the alert events)', () => {
    expect(eventtypes.get('defender_incidents')?.get('search')?.value).to.equal(`sourcetype="${INCIDENT_SOURCETYPE}"`);
    expect(tags.has('eventtype=defender_incidents')).to.equal(false);
    expect(macros.get('ta_msdefender_incidents')?.get('definition')?.value).to.equal(
      '`ta_msdefender_index` eventtype=defender_incidents',
    );
  });

  describe('what the Defender incidents dashboard shows, run offline', () => {
    const view = readFileSync(join(knowledgeRoot, 'default', 'data', 'ui', 'views', 'defender_incidents.xml'), 'utf8');
    const definition = JSON.parse(view.slice(view.indexOf('<![CDATA[') + 9, view.indexOf(']]>'))) as {
      dataSources: Record<string, { options: { query: string } }>;
      visualizations: Record<string, { eventHandlers?: { options: { url?: string } }[] }>;
    };
    const query = (ds: string) => definition.dataSources[ds]?.options.query ?? '';
    const now = Date.UTC(2024, 4, 20) / 1000;
    const context = { macros, eventtypes, now };
    const template = readSamples('incidents')[1]!;
    const version = (id: string, updated: number, extra: Record<string, unknown>): Row => {
      const raw = JSON.stringify({
        ...template,
        id,
        lastUpdateDateTime: new Date(updated * 1000).toISOString(),
        ...extra,
      });
      const row = applySearchTime(props, INCIDENT_SOURCETYPE, raw);
      row
        .set('_time', updated)
        .set('_indextime', updated + 60)
        .set('index', 'defender');
      return row;
    };
    const day = 86_400;
    const created = (daysAgo: number) => new Date((now - daysAgo * day) * 1000).toISOString();
    const events = [
      // Opened 10 days ago, owned, then resolved 2 days after creation (48 h to resolve).
      version('resolved', now - 10 * day + 3600, {
        status: 'active',
        severity: 'high',
        createdDateTime: created(10),
        assignedTo: 'a@x',
      }),
      version('resolved', now - 8 * day, {
        status: 'resolved',
        severity: 'high',
        classification: 'truePositive',
        createdDateTime: created(10),
        assignedTo: 'a@x',
      }),
      // Open, no owner, 3 days old, high.
      version('unowned', now - 2 * day, {
        status: 'active',
        severity: 'high',
        createdDateTime: created(3),
        assignedTo: null,
      }),
      // Open, owned, created 40 days ago, medium; an earlier version had no owner.
      version('owned', now - 5 * day, {
        status: 'active',
        severity: 'medium',
        createdDateTime: created(40),
        assignedTo: null,
      }),
      version('owned', now - day, {
        status: 'inProgress',
        severity: 'medium',
        createdDateTime: created(40),
        assignedTo: 'b@x',
      }),
      // Merged into another: not open.
      version('merged', now - day, {
        status: 'redirected',
        redirectIncidentId: 'owned',
        severity: 'low',
        createdDateTime: created(2),
      }),
      // Resolved as a false positive in 24 h.
      version('fp', now - 3 * day, {
        status: 'resolved',
        severity: 'low',
        classification: 'falsePositive',
        createdDateTime: created(4),
      }),
    ];
    const run = (ds: string) => runSearch(query(ds), events, context);

    it('counts open incidents on their latest version: neither resolved nor merged', () => {
      expect(run('ds_open').map((r) => r.get('incidents'))).to.deep.equal([2]);
      const bySeverity = Object.fromEntries(
        run('ds_open_severity').map((r) => [r.get('severity'), r.get('incidents')]),
      );
      expect(bySeverity).to.deep.equal({ high: 1, medium: 1 });
    });

    it('buckets open incidents by age since creation', () => {
      const rows = run('ds_open_age').map(
        (r) => `${String(r.get('age'))}/${String(r.get('severity'))}=${String(r.get('incidents'))}`,
      );
      expect(rows).to.deep.equal(['2: 1 to 7 days/high=1', '4: over 30 days/medium=1']);
    });

    it('lists the open incidents without an owner, with the portal link the drilldown opens', () => {
      const rows = run('ds_unowned');
      expect(rows.map((r) => r.get('id'))).to.deep.equal(['unowned']);
      expect(rows[0]?.get('incident_url')).to.equal(template.incidentWebUrl);
      expect(definition.visualizations.viz_unowned?.eventHandlers?.[0]?.options.url).to.equal(
        '$row.incident_url.value$',
      );
      expect(run('ds_unowned_count').map((r) => r.get('incidents'))).to.deep.equal([1]);
    });

    it('gives the mean time to resolve from creation to the resolved version, and the top classifications', () => {
      const [mttr] = run('ds_mttr');
      expect(mttr?.get('resolved')).to.equal(2);
      expect(mttr?.get('mttr_hours')).to.equal(36); // (48 h + 24 h) / 2
      const classes = Object.fromEntries(
        run('ds_classification').map((r) => [r.get('classification'), r.get('incidents')]),
      );
      expect(classes).to.deep.equal({ truePositive: 1, falsePositive: 1 });
    });
  });
});
