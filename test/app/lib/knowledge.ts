/**
 * What the app's knowledge objects and sample alerts give a search: the conf files parsed, the sample alerts
 * flattened into the field names Splunk's KV_MODE=json produces, and the fields each props EVAL/FIELDALIAS reads.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Conf, parseConf } from '../../../src/config/app-settings.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Where the knowledge objects under test (default/*.conf, default/data/ui) are read from: this checkout, unless
 * TA_KNOWLEDGE_ROOT names another tree. That is how a test is shown to fail on an older version of the app, e.g.
 * `git archive d8041b5 default | tar -x -C /tmp/old && TA_KNOWLEDGE_ROOT=/tmp/old npx mocha
 * test/app/cim-fields.test.ts`.
 */
export const knowledgeRoot = process.env.TA_KNOWLEDGE_ROOT ?? repoRoot;

/** default/<name>.conf, parsed. */
export function readDefaultConf(name: string): Conf {
  const file = `default/${name}.conf`;
  return parseConf({ file, text: readFileSync(join(knowledgeRoot, file), 'utf8') });
}

/** One alert shape: the sample file and the API whose alerts it holds. */
export type Shape = 'graph' | 'mde' | 'siem';

/** A sample file: an alert shape's, or the incidents' (api incidents). */
export type SampleFile = Shape | 'incidents';

/** The sample alerts of one API, as the input sends them (one JSON object per event). */
export function readSamples(shape: SampleFile): Record<string, unknown>[] {
  return JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'alerts', `${shape}.json`), 'utf8'));
}

/**
 * Field name → number of samples in which it has a value (not null, not ""), named as KV_MODE=json names them:
 * nested objects `a.b`, arrays `a{}` and `a{}.b`. A field present only as null/"" counts 0.
 */
export function sampleFields(shape: SampleFile): Map<string, number> {
  const counts = new Map<string, number>();
  for (const alert of readSamples(shape)) {
    const seen = new Set<string>();
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) {
        if (!counts.has(`${path}{}`)) counts.set(`${path}{}`, 0);
        for (const item of value) walk(item, `${path}{}`);
      } else if (value !== null && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
      } else {
        if (!counts.has(path)) counts.set(path, 0);
        if (value !== null && value !== '' && !seen.has(path)) {
          seen.add(path);
          counts.set(path, (counts.get(path) ?? 0) + 1);
        }
      }
    };
    walk(alert, '');
  }
  return counts;
}

/** A field a props stanza creates and what it is computed from. */
export interface Derivation {
  /** EVAL-<field> or FIELDALIAS-<name>. */
  setting: string;
  field: string;
  /** The expression (EVAL) or source field (FIELDALIAS). */
  expression: string;
  /** Fields the expression reads. */
  reads: string[];
  /** True when some value comes out whatever the event holds (a constant, or a coalesce with a literal fallback). */
  alwaysSet: boolean;
}

const EVAL_WORDS = new Set(['AND', 'OR', 'NOT', 'XOR', 'LIKE', 'true', 'false', 'null']);

/** Fields an SPL eval expression reads: 'quoted names' and bare identifiers that are not functions or keywords. */
export function fieldsReadByEval(expression: string): string[] {
  const fields = new Set<string>();
  const withoutStrings = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of withoutStrings.matchAll(/'([^']+)'/g)) fields.add(m[1] ?? '');
  const bare = withoutStrings.replace(/'[^']+'/g, ' ');
  for (const m of bare.matchAll(/(?<![\w.])([A-Za-z_][\w.]*)(\s*\()?/g)) {
    const name = m[1] ?? '';
    if (m[2] || EVAL_WORDS.has(name) || /^\d/.test(name)) continue;
    fields.add(name);
  }
  return [...fields];
}

/** Every EVAL-/FIELDALIAS- of one props stanza. */
export function derivations(props: Conf, sourcetype: string): Derivation[] {
  const stanza = props.get(sourcetype);
  if (!stanza) throw new Error(`props.conf has no [${sourcetype}]`);
  const out: Derivation[] = [];
  for (const [setting, { value }] of stanza) {
    if (setting.startsWith('EVAL-')) {
      const reads = fieldsReadByEval(value);
      const literalFallback =
        /coalesce\((?:[^()]|\([^()]*\))*,\s*"[^"]*"\s*\)\s*$/.test(value) || /^"[^"]*"$/.test(value.trim());
      out.push({
        setting,
        field: setting.slice(5),
        expression: value,
        reads,
        alwaysSet: reads.length === 0 || literalFallback,
      });
    } else if (setting.startsWith('FIELDALIAS-')) {
      for (const m of value.matchAll(/("[^"]+"|\S+)\s+AS\s+("[^"]+"|\S+)/gi)) {
        const from = (m[1] ?? '').replace(/"/g, '');
        out.push({ setting, field: (m[2] ?? '').replace(/"/g, ''), expression: from, reads: [from], alwaysSet: false });
      }
    }
  }
  return out;
}

/** The alert sourcetypes, and the API shapes each may carry (admins may route graph alerts to the atp sourcetype). */
export const ALERT_SOURCETYPES: Record<string, Shape[]> = {
  'ms:defender:graph:alerts': ['graph'],
  'ms:defender:atp:alerts': ['mde', 'graph'],
  'ms:defender:siem:detections': ['siem'],
};

/** The incidents' sourcetype (api incidents), not an alert one; samples in test/fixtures/alerts/incidents.json. */
export const INCIDENT_SOURCETYPE = 'ms:defender:graph:incidents';

/** Every field a search over incidents can use: sample incident fields plus every props-made field. */
export function incidentSearchFields(): Set<string> {
  const fields = new Set<string>(BUILTIN_FIELDS);
  for (const [name, n] of sampleFields('incidents')) if (n > 0) fields.add(name);
  for (const d of derivations(readDefaultConf('props'), INCIDENT_SOURCETYPE)) fields.add(d.field);
  return fields;
}

/** Fields Splunk gives every event. */
export const BUILTIN_FIELDS = new Set([
  '_time',
  '_raw',
  'index',
  'sourcetype',
  'source',
  'host',
  'eventtype',
  'tag',
  'linecount',
  'splunk_server',
]);

/** Every field a search over the alert sourcetypes can use: sample fields of any shape plus every props-made field. */
export function alertSearchFields(): Set<string> {
  const props = readDefaultConf('props');
  const fields = new Set<string>(BUILTIN_FIELDS);
  for (const [sourcetype, shapes] of Object.entries(ALERT_SOURCETYPES)) {
    for (const shape of shapes) for (const [name, n] of sampleFields(shape)) if (n > 0) fields.add(name);
    for (const d of derivations(props, sourcetype)) fields.add(d.field);
  }
  return fields;
}

/** The keys the input writes on its splunkd.log lines (issue 3), plus what splunkd's own sourcetype extracts. */
export const COLLECTOR_LOG_FIELDS = new Set([
  ...BUILTIN_FIELDS,
  'component',
  'log_level',
  'action',
  'input',
  'api',
  'n_events',
  'pages',
  'duration_s',
  'lag_s',
  'status',
  'error',
  'wait_s',
  'n_alert_events',
  'replay',
  'replay_done',
  'replay_events',
]);

/** The Defender XDR streaming sourcetype (defender_stream input); sample records in test/fixtures/stream/records.json. */
export const STREAM_SOURCETYPE = 'ms:defender:eventhub';

/** Every field a search over stream records can use: the sample records' fields plus every props-made field. */
export function streamSearchFields(): Set<string> {
  const fields = new Set<string>(BUILTIN_FIELDS);
  const records = JSON.parse(
    readFileSync(join(repoRoot, 'test', 'fixtures', 'stream', 'records.json'), 'utf8'),
  ) as unknown[];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) for (const item of value) walk(item, `${path}{}`);
    else if (value !== null && typeof value === 'object')
      for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
    else fields.add(path);
  };
  records.forEach((r) => walk(r, ''));
  for (const d of derivations(readDefaultConf('props'), STREAM_SOURCETYPE)) fields.add(d.field);
  return fields;
}

/** The keys the defender_stream input writes on its splunkd.log lines, plus what splunkd's own sourcetype extracts. */
export const STREAM_LOG_FIELDS = new Set([
  ...BUILTIN_FIELDS,
  'component',
  'log_level',
  'action',
  'input',
  'api',
  'namespace',
  'hub',
  'partition',
  'checkpoint_sequence',
  'last_enqueued_sequence',
  'lag_events',
  'lag_s',
  'n_records',
  'sequence',
  'error',
  'outage_s',
  'status',
  'n_events',
  'duration_s',
]);
