/**
 * The CIM Alerts mapping in default/props.conf, run offline: every sample alert of every shape (the fixtures and
 * real-shaped generated alerts, large ones included) goes through the search-time evaluator
 * (test/app/lib/search-time.ts:
 * KV_MODE=json with its 5,000-byte cutoff, FIELDALIAS, then independent EVALs) and its CIM fields must equal what the
 * oracle (test/app/lib/cim-oracle.ts) computes from the parsed alert. What only a real Splunk can confirm is listed in
 * README ("What is checked offline and what only a real Splunk can confirm").
 */
import { expect } from 'chai';
import {
  CIM_FIELDS,
  DETECTION_SOURCE_PRODUCTS,
  DETECTION_SOURCE_UNNAMED,
  expectedCim,
  SERVICE_SOURCE_PRODUCTS,
  SERVICE_SOURCE_UNNAMED,
} from './lib/cim-oracle.js';
import { ALERT_SOURCETYPES, readDefaultConf, readSamples, type Shape } from './lib/knowledge.js';
import { allSamples, fixtureSamples, largeSample, type Sample } from './lib/samples.js';
import { applySearchTime, valuesOf } from './lib/search-time.js';
import { fieldsReferenced, functionsCalled, KNOWN_FUNCTIONS } from './lib/spl-eval.js';

const props = readDefaultConf('props');

/** The CIM fields the evaluator gives a sample on a sourcetype, in the oracle's form (multivalues sorted). */
function computed(sourcetype: string, raw: string): Record<string, string[]> {
  const fields = applySearchTime(props, sourcetype, raw);
  const out: Record<string, string[]> = {};
  for (const f of CIM_FIELDS) {
    const values = valuesOf(fields, f);
    if (values.length > 0) out[f] = [...values].sort();
  }
  return out;
}

function expected(sample: Sample, sourcetype: string): Record<string, string[]> {
  const out = expectedCim(sample.alert, sample.shape, sourcetype);
  for (const k of Object.keys(out)) out[k] = [...(out[k] ?? [])].sort();
  return out;
}

/** Field-by-field differences, so a failure names the sample and the fields. */
function differences(sample: Sample, sourcetype: string): string[] {
  const got = computed(sourcetype, sample.raw);
  const want = expected(sample, sourcetype);
  return CIM_FIELDS.filter((f) => JSON.stringify(got[f]) !== JSON.stringify(want[f])).map(
    (f) => `${sample.name} on ${sourcetype}: ${f} = ${JSON.stringify(got[f])}, expected ${JSON.stringify(want[f])}`,
  );
}

/** The CIM fields an API cannot give, per shape. */
const NOT_IN_API: Record<Shape, string[]> = {
  graph: [],
  mde: [],
  siem: ['vendor_account', 'mitre_technique_id', 'status', 'vendor_status'],
};

/** The field the input puts in <time>, per API. */
const TIME_FIELD: Record<Shape, string> = {
  graph: 'lastUpdateDateTime',
  mde: 'lastUpdateTime',
  siem: 'LastProcessedTimeUtc',
};

describe('CIM Alerts mapping (default/props.conf), evaluated offline on every sample alert', () => {
  for (const [sourcetype, shapes] of Object.entries(ALERT_SOURCETYPES)) {
    describe(`[${sourcetype}]`, () => {
      const stanza = props.get(sourcetype);

      it('extracts JSON at search time, one event per alert, never truncating a large one', () => {
        expect(stanza?.get('KV_MODE')?.value).to.equal('json');
        expect(stanza?.get('SHOULD_LINEMERGE')?.value).to.equal('false');
        expect(stanza?.has('INDEXED_EXTRACTIONS'), 'INDEXED_EXTRACTIONS would extract every field twice').to.equal(
          false,
        );
        const truncate = Number(stanza?.get('TRUNCATE')?.value);
        expect(truncate === 0 || truncate >= 1_000_000, `TRUNCATE ${truncate}`).to.equal(true);
      });

      it('reads every mapped value from _raw, so the 5,000-byte automatic extraction cannot hide one (defect 3)', () => {
        const problems: string[] = [];
        for (const [key, { value }] of stanza ?? []) {
          if (key.startsWith('FIELDALIAS-')) problems.push(`${key} aliases an automatically extracted field`);
          if (!key.startsWith('EVAL-')) continue;
          const others = fieldsReferenced(value).filter((f) => f !== '_raw');
          if (others.length > 0) problems.push(`${key} reads ${others.join(', ')}`);
          const unknown = functionsCalled(value).filter((f) => !KNOWN_FUNCTIONS.has(f));
          if (unknown.length > 0)
            problems.push(`${key} calls ${unknown.join(', ')}, which the offline evaluator does not model`);
        }
        expect(problems).to.deep.equal([]);
      });

      for (const shape of shapes) {
        it(`finds the time in the same field as the input's <time> on ${shape} alerts`, () => {
          const prefix = new RegExp(stanza?.get('TIME_PREFIX')?.value ?? '(?!)');
          for (const alert of readSamples(shape)) {
            const raw = JSON.stringify(alert);
            const m = prefix.exec(raw);
            expect(m, `TIME_PREFIX must match ${shape} alert ${String(alert.id ?? alert.FullId)}`).to.not.equal(null);
            expect(
              raw.slice((m?.index ?? 0) + (m?.[0].length ?? 0)).startsWith(String(alert[TIME_FIELD[shape]])),
            ).to.equal(true);
            expect(String(alert[TIME_FIELD[shape]]).length).to.be.at.most(
              Number(stanza?.get('MAX_TIMESTAMP_LOOKAHEAD')?.value),
            );
          }
        });

        it(`computes every CIM field of every ${shape} sample (fixtures and real-shaped, large ones included) as the oracle does`, () => {
          const samples = allSamples(shape);
          expect(samples.filter((s) => s.raw.length > 20_000).length, 'large samples').to.be.at.least(
            shape === 'siem' ? 0 : 4,
          );
          expect(samples.flatMap((s) => differences(s, sourcetype))).to.deep.equal([]);
        });

        it(`gives every CIM field the ${shape} API can give, on every fixture`, () => {
          const always = [
            'app',
            'type',
            'vendor',
            'id',
            'product',
            'vendor_product',
            'signature',
            'signature_id',
            'severity',
            'severity_id',
            'alert_url',
            'category',
          ].concat(shape === 'siem' ? [] : ['status', 'vendor_account']);
          const missing = fixtureSamples(shape).flatMap((s) => {
            const got = computed(sourcetype, s.raw);
            return always.filter((f) => !NOT_IN_API[shape].includes(f) && !got[f]).map((f) => `${s.name}: ${f}`);
          });
          expect(missing).to.deep.equal([]);
        });
      }

      it('leaves unset what the API lacks by design', () => {
        for (const shape of shapes) {
          for (const s of fixtureSamples(shape)) {
            const got = computed(sourcetype, s.raw);
            for (const lacking of NOT_IN_API[shape])
              expect(got[lacking], `${lacking} on ${s.name}`).to.equal(undefined);
          }
        }
      });
    });
  }

  describe('large alerts (defect 3: KV_MODE=json reads only the first 5,000 bytes)', () => {
    const cases: [string, Shape, number][] = [
      ['ms:defender:graph:alerts', 'graph', 50_000],
      ['ms:defender:atp:alerts', 'mde', 40_000],
      ['ms:defender:atp:alerts', 'graph', 50_000],
      ['ms:defender:siem:detections', 'siem', 6_000],
    ];
    for (const [sourcetype, shape, minBytes] of cases) {
      it(`[${sourcetype}] gives dest, src, user, alert_url and category on a ${shape} alert of ${minBytes / 1000}+ KB whose late fields start past byte 5,000`, () => {
        const sample = largeSample(shape, minBytes);
        const got = computed(sourcetype, sample.raw);
        const want = expected(sample, sourcetype);
        for (const f of ['dest', 'src', 'user', 'alert_url', 'category', 'vendor_account']) {
          if (want[f]) expect(got[f], `${f} of ${sample.name}`).to.deep.equal(want[f]);
        }
        expect(want.dest, `the sample must have a device (${sample.name})`).to.not.equal(undefined);
        expect(differences(sample, sourcetype)).to.deep.equal([]);
      });
    }
  });

  describe('JSON null (defect 4: Splunk extracts it as the text "null")', () => {
    const graph = readSamples('graph')[0] as Record<string, unknown>;
    const mde = readSamples('mde')[0] as Record<string, unknown>;
    const siem = readSamples('siem')[1] as Record<string, unknown>;
    const cases: {
      name: string;
      sourcetype: string;
      alert: Record<string, unknown>;
      field: string;
      want: string[] | undefined;
    }[] = [
      {
        name: 'mde computerDnsName null, no device evidence',
        sourcetype: 'ms:defender:atp:alerts',
        alert: { ...mde, computerDnsName: null },
        field: 'dest',
        want: undefined,
      },
      {
        name: 'mde relatedUser.userName null: the User evidence',
        sourcetype: 'ms:defender:atp:alerts',
        alert: { ...mde, relatedUser: { userName: null, domainName: 'DOMAIN' } },
        field: 'user',
        want: ['name'],
      },
      {
        name: 'mde alertWebUrl null: the portal link built from id',
        sourcetype: 'ms:defender:atp:alerts',
        alert: { ...mde, alertWebUrl: null },
        field: 'alert_url',
        want: [`https://security.microsoft.com/alerts/${String(mde.id)}?tid=${String(mde.aadTenantId)}`],
      },
      {
        name: 'siem LinkToMTP null: LinkToWDATP',
        sourcetype: 'ms:defender:siem:detections',
        alert: { ...siem, LinkToMTP: null },
        field: 'alert_url',
        want: [String(siem.LinkToWDATP)],
      },
      {
        name: 'siem UserName null',
        sourcetype: 'ms:defender:siem:detections',
        alert: { ...siem, UserName: null },
        field: 'user',
        want: undefined,
      },
      {
        name: 'siem ComputerDnsName null: MachineName',
        sourcetype: 'ms:defender:siem:detections',
        alert: { ...siem, ComputerDnsName: null },
        field: 'dest',
        want: [String(siem.MachineName)],
      },
      {
        name: 'graph alertWebUrl null',
        sourcetype: 'ms:defender:graph:alerts',
        alert: { ...graph, alertWebUrl: null },
        field: 'alert_url',
        want: undefined,
      },
      {
        name: 'graph productName null, serviceSource unknown',
        sourcetype: 'ms:defender:graph:alerts',
        alert: { ...graph, productName: null, serviceSource: 'unknown', detectionSource: 'manual' },
        field: 'product',
        want: ['Microsoft Defender'],
      },
      {
        name: 'graph device with deviceDnsName null: hostName',
        sourcetype: 'ms:defender:graph:alerts',
        alert: {
          ...graph,
          evidence: (graph.evidence as Record<string, unknown>[]).map((e) =>
            'deviceDnsName' in e ? { ...e, deviceDnsName: null } : e,
          ),
        },
        field: 'dest',
        want: ['tempDns'],
      },
    ];
    for (const c of cases) {
      it(`treats null as absent: ${c.name}`, () => {
        const got = computed(c.sourcetype, JSON.stringify(c.alert))[c.field];
        expect(got).to.deep.equal(c.want);
        expect(got ?? []).to.not.include('null');
      });
    }
  });

  describe('graph user (defect 5)', () => {
    it('takes users from user evidence only: the SYSTEM account a process ran as is not a user', () => {
      const alert = readSamples('graph')[0] as Record<string, unknown>;
      for (const sourcetype of ['ms:defender:graph:alerts', 'ms:defender:atp:alerts']) {
        const got = computed(sourcetype, JSON.stringify(alert));
        expect(got.user, sourcetype).to.deep.equal(['temp123']);
        expect(got.user_name, sourcetype).to.deep.equal(['temp123']);
      }
    });

    it('takes users from a user evidence whose userAccount comes before its @odata.type, and never from a string that looks like one', () => {
      const alert = readSamples('graph')[0] as Record<string, unknown>;
      const evidence = (alert.evidence as Record<string, unknown>[]).map((e) => {
        if (e['@odata.type'] !== '#microsoft.graph.security.userEvidence') return e;
        const { '@odata.type': type, ...rest } = e;
        return { ...rest, '@odata.type': type };
      });
      const decoy = {
        '@odata.type': '#microsoft.graph.security.processEvidence',
        processCommandLine:
          '{"@odata.type":"#microsoft.graph.security.userEvidence","userAccount":{"accountName":"evil"}}',
      };
      const got = computed('ms:defender:graph:alerts', JSON.stringify({ ...alert, evidence: [decoy, ...evidence] }));
      expect(got.user).to.deep.equal(['temp123']);
    });

    it("takes mde users from the alert's relatedUser, else from User evidence, never from a Process's account", () => {
      const mde = readSamples('mde')[0] as Record<string, unknown>;
      expect(computed('ms:defender:atp:alerts', JSON.stringify({ ...mde, relatedUser: null })).user).to.deep.equal([
        'name',
      ]);
      const processOnly = {
        ...mde,
        relatedUser: null,
        evidence: [{ ...(mde.evidence as Record<string, unknown>[])[1], accountName: 'SYSTEM' }],
      };
      expect(computed('ms:defender:atp:alerts', JSON.stringify(processOnly)).user).to.equal(undefined);
    });
  });

  describe('product (defect 6)', () => {
    const base = readSamples('graph')[0] as Record<string, unknown>;
    for (const sourcetype of ['ms:defender:graph:alerts', 'ms:defender:atp:alerts']) {
      it(`[${sourcetype}] names the product by its display name for every documented serviceSource, with or without productName`, () => {
        const wrong: string[] = [];
        for (const [serviceSource, name] of Object.entries(SERVICE_SOURCE_PRODUCTS)) {
          for (const productName of [undefined, null, name]) {
            const alert: Record<string, unknown> = { ...base, serviceSource, detectionSource: 'manual', productName };
            if (productName === undefined) delete alert.productName;
            const got = computed(sourcetype, JSON.stringify(alert)).product;
            if (JSON.stringify(got) !== JSON.stringify([name]))
              wrong.push(`${serviceSource} (productName ${String(productName)}): ${JSON.stringify(got)}`);
          }
        }
        expect(wrong).to.deep.equal([]);
      });

      it(`[${sourcetype}] falls back to detectionSource when serviceSource names no product`, () => {
        const wrong: string[] = [];
        for (const serviceSource of SERVICE_SOURCE_UNNAMED) {
          for (const [detectionSource, name] of Object.entries(DETECTION_SOURCE_PRODUCTS)) {
            const alert: Record<string, unknown> = { ...base, serviceSource, detectionSource };
            delete alert.productName;
            const got = computed(sourcetype, JSON.stringify(alert)).product;
            if (JSON.stringify(got) !== JSON.stringify([name]))
              wrong.push(`${serviceSource}/${detectionSource}: ${JSON.stringify(got)}`);
          }
          for (const detectionSource of DETECTION_SOURCE_UNNAMED) {
            const alert = { ...base, serviceSource, detectionSource, productName: 'Some Future Product' };
            expect(computed(sourcetype, JSON.stringify(alert)).product).to.deep.equal(['Some Future Product']);
          }
        }
        expect(wrong).to.deep.equal([]);
      });
    }
  });

  describe('vendor_product, dest_type, src_type (defect 11)', () => {
    for (const [sourcetype, shapes] of Object.entries(ALERT_SOURCETYPES)) {
      it(`[${sourcetype}] sets vendor_product to the product, and dest_type/src_type to host exactly when there is a dest/src`, () => {
        const problems: string[] = [];
        for (const shape of shapes) {
          for (const s of allSamples(shape)) {
            const got = computed(sourcetype, s.raw);
            if (!got.vendor_product || JSON.stringify(got.vendor_product) !== JSON.stringify(got.product))
              problems.push(`${s.name}: vendor_product ${JSON.stringify(got.vendor_product)}`);
            if (JSON.stringify(got.dest_type) !== JSON.stringify(got.dest ? ['host'] : undefined))
              problems.push(`${s.name}: dest_type ${JSON.stringify(got.dest_type)}`);
            if (JSON.stringify(got.src_type) !== JSON.stringify(got.src ? ['host'] : undefined))
              problems.push(`${s.name}: src_type ${JSON.stringify(got.src_type)}`);
          }
        }
        expect(problems).to.deep.equal([]);
      });
    }
  });

  it('gives ES Content Update every field its Defender ATP detection reads, on mde alerts', () => {
    // "Microsoft Defender ATP Alerts" reads id, description, src, dest, user, signature, severity and
    // mitreTechniques{}.
    for (const s of fixtureSamples('mde').slice(0, 1)) {
      const fields = applySearchTime(props, 'ms:defender:atp:alerts', s.raw);
      for (const f of ['id', 'description', 'src', 'dest', 'user', 'signature', 'severity', 'mitreTechniques{}']) {
        expect(valuesOf(fields, f), f).to.not.deep.equal([]);
      }
    }
  });

  it('parses the action outcome sourcetype as JSON too', () => {
    expect(props.get('ms:defender:action')?.get('KV_MODE')?.value).to.equal('json');
  });
});
