/**
 * [ms:defender:eventhub] (default/props.conf), its eventtypes and tags: Defender XDR streaming records, one per event
 * as the defender_stream input writes them, evaluated offline (test/app/lib/search-time.ts) against an oracle written
 * from Microsoft's table pages (test/app/lib/stream-oracle.ts), plus literal expectations for the fields a SOC
 * searches on first. Samples: test/fixtures/stream/records.json (columns from the Advanced Hunting schema pages).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDefaultConf, repoRoot } from './lib/knowledge.js';
import { applySearchTime, extractJsonFields, valuesOf } from './lib/search-time.js';
import { functionsCalled, KNOWN_FUNCTIONS, type SplValue } from './lib/spl-eval.js';
import { runSearch, type Row } from './lib/spl-run.js';
import { expectedStreamCim } from './lib/stream-oracle.js';

const SOURCETYPE = 'ms:defender:eventhub';
const props = readDefaultConf('props');
const eventtypes = readDefaultConf('eventtypes');
const tags = readDefaultConf('tags');
const macros = readDefaultConf('macros');
const stanza = props.get(SOURCETYPE);
type Json = Record<string, unknown>;
const records = JSON.parse(
  readFileSync(join(repoRoot, 'test', 'fixtures', 'stream', 'records.json'), 'utf8'),
) as Json[];
const byTable = (table: string, nth = 0): Json => {
  const found = records.filter((r) => r.category === `AdvancedHunting-${table}`)[nth];
  if (!found) throw new Error(`no ${table} record in the fixtures`);
  return structuredClone(found);
};

/** Every field the stanza's EVALs make: what a record is compared on. */
const evalFields = [...(stanza?.keys() ?? [])].filter((k) => k.startsWith('EVAL-')).map((k) => k.slice(5));

function fieldsOf(record: Json | string): Map<string, SplValue> {
  return applySearchTime(props, SOURCETYPE, typeof record === 'string' ? record : JSON.stringify(record));
}

function cimOf(fields: ReadonlyMap<string, SplValue>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of evalFields) {
    const v = valuesOf(fields, f);
    if (v.length > 0) out[f] = v;
  }
  return out;
}

/** The event as a search row: the fields, sourcetype, index and times. */
function row(record: Json | string, time = 1_796_378_400): Row {
  const fields = fieldsOf(record);
  fields
    .set('_time', time)
    .set('_indextime', time + 5)
    .set('index', 'defender_stream');
  return fields;
}

/** Which of our eventtypes an event matches (each eventtype's own search, run offline), and the tags they carry. */
function classify(record: Json): { eventtypes: string[]; tags: string[] } {
  const event = row(record);
  const matched = [...eventtypes.keys()].filter(
    (name) =>
      name !== 'default' &&
      runSearch(eventtypes.get(name)?.get('search')?.value ?? '', [event], { macros, eventtypes, now: 2e9 }).length ===
        1,
  );
  const tagged = matched.flatMap((name) =>
    [...(tags.get(`eventtype=${name}`) ?? new Map())].filter(([, v]) => v.value === 'enabled').map(([t]) => t),
  );
  return { eventtypes: matched.sort(), tags: [...new Set(tagged)].sort() };
}

describe('[ms:defender:eventhub]: Defender XDR streaming records (defender_stream)', () => {
  it('parses one record per line as JSON, never truncating a large record, with the time of properties.Timestamp', () => {
    expect(stanza?.get('KV_MODE')?.value).to.equal('json');
    expect(stanza?.get('SHOULD_LINEMERGE')?.value).to.equal('false');
    expect(Number(stanza?.get('TRUNCATE')?.value)).to.be.at.least(1_000_000);
    const prefix = new RegExp(stanza?.get('TIME_PREFIX')?.value ?? '(?!)');
    for (const record of records) {
      const raw = JSON.stringify(record);
      const m = prefix.exec(raw);
      expect(m, String(record.category)).to.not.equal(null);
      const at = (m?.index ?? 0) + (m?.[0].length ?? 0);
      const lookahead = Number(stanza?.get('MAX_TIMESTAMP_LOOKAHEAD')?.value);
      // The record's own "time" (Defender's receive time) and the "Timestamp" inside AdditionalFields never match.
      expect(raw.slice(at, at + lookahead), String(record.category)).to.match(
        new RegExp(`^${String((record.properties as Json).Timestamp).replace(/\./g, '\\.')}`),
      );
    }
  });

  it('calls only eval functions the offline evaluator models', () => {
    const unknown = evalFields.flatMap((f) =>
      functionsCalled(stanza?.get(`EVAL-${f}`)?.value ?? '').filter((fn) => !KNOWN_FUNCTIONS.has(fn)),
    );
    expect(unknown).to.deep.equal([]);
  });

  for (const record of records) {
    it(`gives ${String(record.category)} (${String((record.properties as Json).ActionType ?? 'no ActionType')}) the CIM fields the oracle computes`, () => {
      expect(cimOf(fieldsOf(record))).to.deep.equal(expectedStreamCim(record));
    });
  }

  describe('the fields a SOC searches on first, table by table', () => {
    it('DeviceProcessEvents → Endpoint.Processes: the new process, its parent and the device', () => {
      const f = fieldsOf(byTable('DeviceProcessEvents'));
      expect(valuesOf(f, 'dest')).to.deep.equal(['ws-0042.contoso.com']);
      expect(valuesOf(f, 'user')).to.deep.equal(['jdoe']);
      expect(valuesOf(f, 'process_name')).to.deep.equal(['powershell.exe']);
      expect(valuesOf(f, 'process')[0]).to.match(/^powershell\.exe -NoProfile .*-EncodedCommand /);
      expect(valuesOf(f, 'process_id')).to.deep.equal(['7420']);
      expect(valuesOf(f, 'parent_process_name')).to.deep.equal(['cmd.exe']);
      expect(valuesOf(f, 'parent_process_id')).to.deep.equal(['6112']);
      expect(valuesOf(f, 'original_file_name')).to.deep.equal(['PowerShell.EXE']);
      expect(valuesOf(f, 'process_integrity_level')).to.deep.equal(['high']);
      expect(valuesOf(f, 'action')).to.deep.equal(['allowed']);
      expect(classify(byTable('DeviceProcessEvents')).tags).to.deep.equal(['process', 'report']);
    });

    it('DeviceNetworkEvents → Network_Traffic: src and dest follow the direction of the connection', () => {
      const out = fieldsOf(byTable('DeviceNetworkEvents', 0));
      expect(
        ['direction', 'src', 'src_ip', 'src_port', 'dest', 'dest_ip', 'dest_port', 'transport', 'action'].map((k) =>
          valuesOf(out, k).join(),
        ),
      ).to.deep.equal([
        'outbound',
        'ws-0042.contoso.com',
        '10.1.2.42',
        '51544',
        '203.0.113.50',
        '203.0.113.50',
        '443',
        'tcp',
        'allowed',
      ]);
      const inbound = fieldsOf(byTable('DeviceNetworkEvents', 1));
      expect(
        ['direction', 'src', 'src_ip', 'src_port', 'dest', 'dest_ip', 'dest_port', 'transport'].map((k) =>
          valuesOf(inbound, k).join(),
        ),
      ).to.deep.equal([
        'inbound',
        '198.51.100.7',
        '198.51.100.7',
        '60211',
        'srv-web01.contoso.com',
        '10.1.5.20',
        '3389',
        'tcp',
      ]);
      expect(classify(byTable('DeviceNetworkEvents')).tags).to.deep.equal(['communicate', 'network']);
    });

    it('DeviceLogonEvents and IdentityLogonEvents → Authentication: action success|failure, the account, both ends', () => {
      const device = fieldsOf(byTable('DeviceLogonEvents'));
      expect(
        ['action', 'user', 'src', 'dest', 'reason', 'authentication_method'].map((k) => valuesOf(device, k).join()),
      ).to.deep.equal([
        'failure',
        'administrator',
        '198.51.100.7',
        'srv-web01.contoso.com',
        'InvalidUserNameOrPassword',
        'NTLM',
      ]);
      const identity = fieldsOf(byTable('IdentityLogonEvents'));
      expect(
        ['action', 'user', 'src', 'dest', 'app', 'authentication_method'].map((k) => valuesOf(identity, k).join()),
      ).to.deep.equal(['success', 'jdoe', 'ws-0042.contoso.com', 'dc01.contoso.com', 'Active Directory', 'Kerberos']);
      for (const table of ['DeviceLogonEvents', 'IdentityLogonEvents'])
        expect(classify(byTable(table)).tags, table).to.deep.equal(['authentication']);
    });

    it('EmailEvents → Email: sender, recipient, subject, ids, and the delivery outcome in CIM words', () => {
      const f = fieldsOf(byTable('EmailEvents'));
      expect(
        [
          'action',
          'src_user',
          'recipient',
          'recipient_domain',
          'subject',
          'message_id',
          'internal_message_id',
          'src',
        ].map((k) => valuesOf(f, k).join()),
      ).to.deep.equal([
        'quarantined',
        'billing@fabrikam-invoices.example',
        'jdoe@contoso.com',
        'contoso.com',
        'Invoice 88231 overdue',
        '<PH0PR11MB4999.namprd11.prod.outlook.com>',
        '2bb3f5e4-71c6-4b0a-9e43-08dcf41e7a2b',
        '192.0.2.25',
      ]);
      const delivered = byTable('EmailEvents');
      Object.assign(delivered.properties as Json, { DeliveryAction: 'Junked', DeliveryLocation: 'Junk' });
      expect(valuesOf(fieldsOf(delivered), 'action')).to.deep.equal(['delivered']);
      expect(classify(byTable('EmailEvents')).tags).to.deep.equal(['email']);
    });

    it('AlertInfo → Alerts: id, title, severity, product and the MITRE technique ids (deduplicated)', () => {
      const f = fieldsOf(byTable('AlertInfo'));
      expect(
        ['id', 'signature', 'severity', 'severity_id', 'product', 'type', 'vendor_account'].map((k) =>
          valuesOf(f, k).join(),
        ),
      ).to.deep.equal([
        'da638674521234567890_-1234567890',
        'Suspicious PowerShell command line',
        'high',
        '4',
        'Microsoft Defender for Endpoint',
        'alert',
        '8f2b4c1e-3a5d-4e6f-9b1c-2d3e4f5a6b7c',
      ]);
      expect(valuesOf(f, 'mitre_technique_id')).to.deep.equal(['T1059.001', 'T1105']);
      expect(classify(byTable('AlertInfo')).tags).to.deep.equal(['alert']);
    });
  });

  it('keeps a category it does not map searchable: sourcetype, eventtype defender_stream and the stream macro find it, with no CIM tag and no CIM field but vendor_product', () => {
    const unknown = byTable('CloudAuditEvents');
    expect(cimOf(fieldsOf(unknown))).to.deep.equal({ vendor_product: ['Microsoft Defender XDR'] });
    expect(classify(unknown)).to.deep.equal({ eventtypes: ['defender_stream'], tags: [] });
    const events = records.map((r) => row(r));
    const found = runSearch('`ta_msdefender_stream` | stats count BY category', events, {
      macros,
      eventtypes,
      now: 2e9,
    });
    expect(found.map((r) => [r.get('category'), r.get('count')]).sort()).to.deep.include([
      'AdvancedHunting-CloudAuditEvents',
      1,
    ]);
    expect(found.reduce((n, r) => n + Number(r.get('count')), 0)).to.equal(records.length);
  });

  it('puts every mapped record in exactly one data model (one tagged eventtype each)', () => {
    for (const record of records) {
      const { eventtypes: matched } = classify(record);
      const tagged = matched.filter((e) => tags.has(`eventtype=${e}`));
      const mapped = !['DeviceFileEvents', 'CloudAuditEvents'].some((t) => record.category === `AdvancedHunting-${t}`);
      expect(tagged.length, String(record.category)).to.equal(mapped ? 1 : 0);
    }
  });

  it('reads every value from _raw: a record whose fields start past byte 5,000 keeps its CIM fields (KV_MODE=json would lose them)', () => {
    const record = byTable('DeviceProcessEvents');
    const properties = record.properties as Json;
    // Microsoft's order puts AdditionalFields and long command lines anywhere; move the mapped columns to the end.
    const padded = { Timestamp: properties.Timestamp, AdditionalFields: JSON.stringify({ pad: 'x'.repeat(6000) }) };
    record.properties = { ...padded, ...properties, AdditionalFields: padded.AdditionalFields };
    const raw = JSON.stringify(record);
    expect(raw.indexOf('"ProcessCommandLine"')).to.be.above(5000);
    expect(
      extractJsonFields(raw).has('properties.ProcessCommandLine'),
      'automatic extraction stops at 5,000 bytes',
    ).to.equal(false);
    expect(cimOf(fieldsOf(raw))).to.deep.equal(expectedStreamCim(record));
  });

  it('treats JSON null, "null" and "" as absent, as the alert mappings do', () => {
    for (const blank of [null, 'null', '']) {
      const record = byTable('DeviceNetworkEvents');
      Object.assign(record.properties as Json, {
        RemoteIP: blank,
        LocalPort: blank,
        InitiatingProcessAccountName: blank,
      });
      const f = fieldsOf(record);
      expect(
        [valuesOf(f, 'dest'), valuesOf(f, 'dest_ip'), valuesOf(f, 'src_port'), valuesOf(f, 'user')],
        String(blank),
      ).to.deep.equal([[], [], [], []]);
      const logon = byTable('IdentityLogonEvents');
      Object.assign(logon.properties as Json, { DestinationDeviceName: blank, AccountName: blank });
      const g = fieldsOf(logon);
      expect([valuesOf(g, 'dest'), valuesOf(g, 'user')], String(blank)).to.deep.equal([
        ['10.1.0.10'],
        ['jdoe@contoso.com'],
      ]);
      const alert = byTable('AlertInfo');
      Object.assign(alert.properties as Json, { Severity: blank, AttackTechniques: blank, ServiceSource: blank });
      const a = fieldsOf(alert);
      expect([
        valuesOf(a, 'severity'),
        valuesOf(a, 'severity_id'),
        valuesOf(a, 'mitre_technique_id'),
        valuesOf(a, 'product'),
      ]).to.deep.equal([['unknown'], ['0'], [], ['Microsoft Defender XDR']]);
    }
  });

  it('gives a whole non-record message (no category) no CIM field but vendor_product, and keeps it in the stream eventtype', () => {
    const message = JSON.stringify({ notRecords: true, body: 'x' });
    expect(cimOf(fieldsOf(message))).to.deep.equal({ vendor_product: ['Microsoft Defender XDR'] });
    expect(runSearch('`ta_msdefender_stream`', [row(message)], { macros, eventtypes, now: 2e9 })).to.have.length(1);
  });

  it("keeps Splunk_TA_MS_Security's values for the tables it maps and this stanza does not (shared EVAL keys)", () => {
    const file = fieldsOf(byTable('DeviceFileEvents'));
    expect(['action', 'user', 'process_id', 'dest'].map((k) => valuesOf(file, k).join())).to.deep.equal([
      'created',
      'jdoe',
      '6112',
      'ws-0042.contoso.com',
    ]);
    const network = fieldsOf(byTable('DeviceNetworkEvents'));
    expect(['process_name', 'parent_process_name', 'process'].map((k) => valuesOf(network, k).join())).to.deep.equal([
      'cmd.exe',
      'explorer.exe',
      '"cmd.exe" /c C:\\Users\\jdoe\\Downloads\\setup.bat',
    ]);
  });
});
