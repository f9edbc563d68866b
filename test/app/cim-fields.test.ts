/**
 * The CIM Alerts mapping in default/props.conf, checked offline against the sample alerts of each API
 * (test/fixtures/alerts): Splunk cannot run here, so instead every field a mapping reads must exist in the samples of
 * its sourcetype, and every CIM field must come out for every alert shape the sourcetype carries.
 */
import { expect } from 'chai';
import {
  ALERT_SOURCETYPES,
  derivations,
  fieldsReadByEval,
  readDefaultConf,
  readSamples,
  sampleFields,
  type Shape,
} from './lib/knowledge.js';

const props = readDefaultConf('props');

/** The normalised fields, the same on every alert sourcetype (CIM Alerts plus the portal link). */
const CIM_FIELDS = ['app', 'body', 'category', 'description', 'dest', 'id', 'mitre_technique_id', 'product', 'severity',
  'severity_id', 'signature', 'signature_id', 'src', 'status', 'subject', 'type', 'user', 'user_name', 'vendor',
  'vendor_account', 'vendor_severity', 'alert_url'];

/** What an API does not carry at all, so the mapping cannot produce it (documented in props.conf). */
const NOT_IN_API: Record<Shape, string[]> = {
  graph: [],
  mde: [],
  siem: ['vendor_account', 'mitre_technique_id', 'status'],
};

/** ES Content Update's "Microsoft Defender ATP Alerts" detection reads these on ms:defender:atp:alerts (peers.md §2). */
const ESCU_FIELDS = ['id', 'description', 'src', 'dest', 'user', 'signature', 'severity', 'mitreTechniques{}'];

/** The field the input puts in <time>, per API (contract §2.3). */
const TIME_FIELD: Record<Shape, string> = { graph: 'lastUpdateDateTime', mde: 'lastUpdateTime', siem: 'LastProcessedTimeUtc' };

describe('CIM Alerts mapping (default/props.conf) against the sample alerts', () => {
  it('reads fields out of eval expressions, quoted or bare, and not functions, strings or keywords', () => {
    expect(fieldsReadByEval(`coalesce('evidence{}.deviceDnsName', computerDnsName, "x y")`)).to.deep.equal(['evidence{}.deviceDnsName', 'computerDnsName']);
    expect(fieldsReadByEval('if(in(lower(Severity), "high"), lower(Severity), "unknown")')).to.deep.equal(['Severity']);
    expect(fieldsReadByEval('"https://h/alerts/" . id . if(isnotnull(aadTenantId), "?tid=" . aadTenantId, "")')).to.deep.equal(['id', 'aadTenantId']);
    expect(fieldsReadByEval('case(a == 1, 5, true(), 0) AND NOT b')).to.deep.equal(['a', 'b']);
  });

  for (const [sourcetype, shapes] of Object.entries(ALERT_SOURCETYPES)) {
    describe(`[${sourcetype}]`, () => {
      const stanza = props.get(sourcetype);
      const made = derivations(props, sourcetype);

      it('extracts JSON at search time, one event per alert, never truncating a large one', () => {
        expect(stanza?.get('KV_MODE')?.value).to.equal('json');
        expect(stanza?.get('SHOULD_LINEMERGE')?.value).to.equal('false');
        expect(stanza?.has('INDEXED_EXTRACTIONS'), 'INDEXED_EXTRACTIONS would extract every field twice').to.equal(false);
        const truncate = Number(stanza?.get('TRUNCATE')?.value);
        expect(truncate === 0 || truncate >= 1_000_000, `TRUNCATE ${truncate}`).to.equal(true);
      });

      for (const shape of shapes) {
        it(`finds the time in the same field as the input's <time> on ${shape} alerts`, () => {
          const prefix = new RegExp(stanza?.get('TIME_PREFIX')?.value ?? '(?!)');
          for (const alert of readSamples(shape)) {
            const raw = JSON.stringify(alert);
            const m = prefix.exec(raw);
            expect(m, `TIME_PREFIX must match ${shape} alert ${String(alert.id ?? alert.FullId)}`).to.not.equal(null);
            const after = raw.slice((m?.index ?? 0) + (m?.[0].length ?? 0));
            expect(after.startsWith(String(alert[TIME_FIELD[shape]]))).to.equal(true);
            const lookahead = Number(stanza?.get('MAX_TIMESTAMP_LOOKAHEAD')?.value);
            expect(String(alert[TIME_FIELD[shape]]).length).to.be.at.most(lookahead);
          }
        });
      }

      it('reads, in every EVAL and FIELDALIAS, only fields that the samples of this sourcetype hold', () => {
        const available = new Map<string, number>();
        for (const shape of shapes) for (const [name, n] of sampleFields(shape)) available.set(name, (available.get(name) ?? 0) + n);
        const missing = made.flatMap((d) => d.reads.filter((f) => !(available.get(f) ?? 0)).map((f) => `${d.setting} reads ${f}`));
        expect(missing).to.deep.equal([]);
      });

      for (const shape of shapes) {
        it(`produces every CIM field on ${shape} alerts`, () => {
          const fields = sampleFields(shape);
          const has = (f: string) => (fields.get(f) ?? 0) > 0;
          const missing = CIM_FIELDS.filter((cim) => !NOT_IN_API[shape].includes(cim)).filter((cim) => {
            const ways = made.filter((d) => d.field === cim);
            if (ways.length === 0) return !has(cim);
            return !ways.some((d) => d.alwaysSet || d.reads.some(has));
          });
          expect(missing).to.deep.equal([]);
        });
      }

      it('leaves nothing unmapped that the API lacks only by design', () => {
        for (const shape of shapes) {
          for (const lacking of NOT_IN_API[shape]) expect(made.some((d) => d.field === lacking), `${lacking} on ${shape}`).to.equal(false);
        }
      });

      it('normalises severity to the CIM words, keeping the vendor value', () => {
        const severity = made.find((d) => d.field === 'severity');
        expect(severity?.expression).to.match(/lower\(/).and.match(/"unknown"\)$/);
        expect(made.find((d) => d.field === 'vendor_severity')?.reads).to.deep.equal(severity?.reads);
        for (const shape of shapes) {
          for (const alert of readSamples(shape)) {
            const vendor = String(alert.severity ?? alert.Severity).toLowerCase();
            expect(['critical', 'high', 'medium', 'low', 'informational', 'unknown', 'unspecified', 'unknownfuturevalue']).to.include(vendor);
          }
        }
      });

      it('sets the CIM constants type=alert and vendor=Microsoft', () => {
        expect(made.find((d) => d.field === 'type')?.expression).to.equal('"alert"');
        expect(made.find((d) => d.field === 'vendor')?.expression).to.equal('"Microsoft"');
      });
    });
  }

  it('gives ES Content Update every field its Defender ATP detection reads, on mde alerts', () => {
    const fields = sampleFields('mde');
    const made = derivations(props, 'ms:defender:atp:alerts');
    const missing = ESCU_FIELDS.filter((f) => !(fields.get(f) ?? 0) && !made.some((d) => d.field === f && d.reads.some((r) => (fields.get(r) ?? 0) > 0)));
    expect(missing).to.deep.equal([]);
  });

  it('parses the action outcome sourcetype as JSON too', () => {
    expect(props.get('ms:defender:action')?.get('KV_MODE')?.value).to.equal('json');
  });

  describe('eventtypes, tags and macros', () => {
    const eventtypes = readDefaultConf('eventtypes');
    const tags = readDefaultConf('tags');
    const macros = readDefaultConf('macros');
    const sourcetypesIn = (search: string) => [...search.matchAll(/sourcetype="([^"]+)"/g)].map((m) => m[1]);

    it('tags one eventtype per alert sourcetype with alert, so | datamodel Alerts finds every alert once', () => {
      const tagged = [...tags].filter(([, keys]) => keys.get('alert')?.value === 'enabled').map(([name]) => name.replace(/^eventtype=/, ''));
      const covered = tagged.flatMap((name) => sourcetypesIn(eventtypes.get(name)?.get('search')?.value ?? ''));
      expect(covered.sort()).to.deep.equal(Object.keys(ALERT_SOURCETYPES).sort());
    });

    it('has one eventtype and one macro covering all three alert sourcetypes, with an index macro admins can narrow', () => {
      expect(sourcetypesIn(eventtypes.get('defender_alerts')?.get('search')?.value ?? '').sort()).to.deep.equal(Object.keys(ALERT_SOURCETYPES).sort());
      expect(macros.get('defender_alerts')?.get('definition')?.value).to.equal('`defender_index` eventtype=defender_alerts');
      expect(macros.get('defender_index')?.get('definition')?.value).to.match(/^index=/);
    });
  });
});
