import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator.js';
import { loadFixtureAlerts } from './generator.js';
import { client, CLIENT, fetchToken, SCOPES, SECRET, TENANT } from './test-client.js';

const MDE_ID = 'da637472900382838869_1364969609';
const GRAPH_ID = 'da637551227677560813_-961444813';

describe('emulator: write endpoints', () => {
  let emu: Emulator;
  let nowMs = Date.parse('2024-06-01T00:00:00Z');
  let graph: ReturnType<typeof client>;
  let mde: ReturnType<typeof client>;
  let readOnly: ReturnType<typeof client>;

  before(async () => {
    emu = await startEmulator({ now: () => nowMs, rateLimits: false });
    emu.addApp({
      tenantId: TENANT,
      clientId: CLIENT,
      secret: SECRET,
      roles: ['SecurityAlert.ReadWrite.All', 'Alert.ReadWrite.All', 'Ti.ReadWrite.All'],
    });
    emu.addApp({
      tenantId: TENANT,
      clientId: '44444444-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      secret: 's',
      roles: ['SecurityAlert.Read.All', 'Alert.Read.All'],
    });
    graph = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.graph));
    mde = client(emu, await fetchToken(emu, TENANT, CLIENT, SECRET, SCOPES.mde));
    readOnly = client(emu, await fetchToken(emu, TENANT, '44444444-bbbb-4ccc-8ddd-eeeeeeeeeeee', 's', SCOPES.mde));
  });
  beforeEach(() => {
    emu.store.clear();
    emu.indicators.clear();
    emu.store.addAlerts('graph', loadFixtureAlerts('graph'));
    emu.store.addAlerts('mde', loadFixtureAlerts('mde'));
    nowMs += 60_000;
  });
  after(() => emu.close());

  describe('Graph PATCH and comments', () => {
    const url = () => `${emu.urls.graph}/v1.0/security/alerts_v2/${GRAPH_ID}`;

    it('updates the alert as a new version and answers 200 with it', async () => {
      const res = await graph.send('PATCH', url(), {
        status: 'resolved',
        classification: 'truePositive',
        determination: 'malware',
        assignedTo: 'soc@contoso.com',
      });
      expect(res.status, res.text).to.equal(200);
      const body = res.json();
      expect(body).to.include({
        id: GRAPH_ID,
        status: 'resolved',
        classification: 'truePositive',
        determination: 'malware',
        assignedTo: 'soc@contoso.com',
      });
      expect(body.lastUpdateDateTime).to.equal(new Date(nowMs).toISOString().replace('Z', '0000Z'));
      expect(body.resolvedDateTime).to.equal(body.lastUpdateDateTime);
      expect(emu.store.get('graph', GRAPH_ID)!.status).to.equal('resolved');
    });

    it('rejects an unknown enum value and an unknown property with 400, changing nothing', async () => {
      const before = emu.store.get('graph', GRAPH_ID);
      for (const bad of [{ status: 'closed' }, { determination: 'bogus' }, { severity: 'high' }]) {
        const res = await graph.send('PATCH', url(), bad);
        expect(res.status).to.equal(400);
        expect(res.json().error.code).to.equal('BadRequest');
      }
      expect(emu.store.get('graph', GRAPH_ID)).to.deep.equal(before);
    });

    it('needs SecurityAlert.ReadWrite.All', async () => {
      const token = await fetchToken(emu, TENANT, '44444444-bbbb-4ccc-8ddd-eeeeeeeeeeee', 's', SCOPES.graph);
      const res = await client(emu, token).send('PATCH', url(), { status: 'inProgress' });
      expect(res.status).to.equal(403);
    });

    it('answers 404 for an unknown alert', async () => {
      expect(
        (await graph.send('PATCH', `${emu.urls.graph}/v1.0/security/alerts_v2/nope`, { status: 'new' })).status,
      ).to.equal(404);
    });

    it('appends a comment and answers with the full comment list', async () => {
      const res = await graph.send('POST', `${url()}/comments`, {
        '@odata.type': 'microsoft.graph.security.alertComment',
        comment: 'looked at it',
      });
      expect(res.status).to.equal(200);
      const body = res.json();
      expect(body.value.map((c: any) => c.comment)).to.deep.equal(['looked at it']);
      expect(emu.store.get('graph', GRAPH_ID)!.comments).to.deep.equal(body.value);
    });
  });

  describe('MDE PATCH and batchUpdate', () => {
    const url = (id = MDE_ID) => `${emu.urls.mde}/api/alerts/${id}`;

    it('resolves with a determination, appends the comment and bumps lastUpdateTime', async () => {
      const res = await mde.send('PATCH', url(), {
        status: 'Resolved',
        classification: 'FalsePositive',
        determination: 'Clean',
        comment: 'benign admin tool',
      });
      expect(res.status, res.text).to.equal(200);
      const body = res.json();
      expect(body).to.include({ status: 'Resolved', classification: 'FalsePositive', determination: 'Clean' });
      expect(body.resolvedTime).to.equal(body.lastUpdateTime);
      expect(body.lastUpdateTime > '2021-01-26T20:33:59.2Z').to.equal(true);
      expect(body.comments.at(-1)).to.deep.equal({
        comment: 'benign admin tool',
        createdBy: CLIENT,
        createdTime: body.lastUpdateTime,
      });
      expect(body.evidence).to.have.length(3);
    });

    it('accepts both documented spellings of a determination', async () => {
      for (const determination of ['ConfirmedActivity', 'ConfirmedUserActivity']) {
        const res = await mde.send('PATCH', url(), { classification: 'InformationalExpectedActivity', determination });
        expect(res.status, determination).to.equal(200);
      }
    });

    it('answers 400 InvalidRequestBody for a wrongly cased key, a bad enum, a withdrawn or mismatched determination', async () => {
      for (const bad of [
        { Status: 'Resolved' },
        { status: 'Closed' },
        { determination: 'Apt' },
        { classification: 'FalsePositive', determination: 'Malware' },
        {},
      ]) {
        const res = await mde.send('PATCH', url(), bad);
        expect(res.status, JSON.stringify(bad)).to.equal(400);
        expect(res.json().error.code).to.equal('InvalidRequestBody');
      }
    });

    it('answers 404 ResourceNotFound for an unknown id and 403 without Alert.ReadWrite.All', async () => {
      const missing = await mde.send('PATCH', url('da000_0'), { status: 'New' });
      expect(missing.status).to.equal(404);
      expect(missing.json().error.code).to.equal('ResourceNotFound');
      expect((await readOnly.send('PATCH', url(), { status: 'New' })).status).to.equal(403);
    });

    it('batch-updates known ids with a 200 empty body, skipping unknown ones', async () => {
      const res = await mde.send('POST', `${emu.urls.mde}/api/alerts/batchUpdate`, {
        alertIds: [MDE_ID, '636210704265059241_673569822', 'da000_0'],
        assignedTo: 'secop2@contoso.com',
        comment: 'batch',
      });
      expect(res.status).to.equal(200);
      expect(res.text).to.equal('');
      for (const id of [MDE_ID, '636210704265059241_673569822']) {
        const item = emu.store.get('mde', id)!;
        expect(item.assignedTo).to.equal('secop2@contoso.com');
        expect((item.comments as any[]).at(-1).comment).to.equal('batch');
      }
    });

    it('requires alertIds in a batch update', async () => {
      const res = await mde.send('POST', `${emu.urls.mde}/api/alerts/batchUpdate`, { status: 'Resolved' });
      expect(res.status).to.equal(400);
      expect(res.json().error.code).to.equal('MissingRequiredParameter');
    });

    it('limits batchUpdate to 10 calls a minute', async () => {
      emu.setRateLimits({});
      try {
        for (let i = 0; i < 10; i++)
          expect(
            (await mde.send('POST', `${emu.urls.mde}/api/alerts/batchUpdate`, { alertIds: [MDE_ID], comment: `c${i}` }))
              .status,
          ).to.equal(200);
        const refused = await mde.send('POST', `${emu.urls.mde}/api/alerts/batchUpdate`, {
          alertIds: [MDE_ID],
          comment: 'c10',
        });
        expect(refused.status).to.equal(429);
        expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
      } finally {
        emu.setRateLimits(false);
      }
    });
  });

  describe('indicators', () => {
    const base = () => `${emu.urls.mde}/api/indicators`;
    const sha1 = {
      indicatorValue: '220e7d15b011d7fac48f2bd61114db1022197f7f',
      indicatorType: 'FileSha1',
      action: 'Audit',
      generateAlert: true,
      title: 'test',
      description: 'test',
      severity: 'Informational',
      expirationTime: '2030-12-12T00:00:00Z',
      rbacGroupNames: ['group1'],
    };

    it('creates an indicator, then updates it on the same type and value', async () => {
      const first = await mde.send('POST', base(), sha1);
      expect(first.status, first.text).to.equal(200);
      const created = first.json();
      expect(created.id).to.match(/^\d+$/);
      expect(created).to.include({ indicatorValue: sha1.indicatorValue, sourceType: 'AadApp', createdBy: CLIENT });
      const second = (
        await mde.send('POST', base(), {
          ...sha1,
          indicatorValue: sha1.indicatorValue.toUpperCase(),
          action: 'Block',
          title: 'v2',
        })
      ).json();
      expect(second.id).to.equal(created.id);
      expect(second).to.include({ action: 'Block', title: 'v2' });
      expect((await mde.get(base())).json().value).to.have.length(1);
    });

    it('validates values and actions per type with the documented codes', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ ...sha1, indicatorValue: 'abc' }, 'InvalidHashValue'],
        [{ ...sha1, indicatorType: 'FileSha256' }, 'InvalidHashValue'],
        [{ ...sha1, indicatorType: 'IpAddress', indicatorValue: '10.0.0.0/8', action: 'Block' }, 'InvalidIpAddress'],
        [
          { ...sha1, indicatorType: 'DomainName', indicatorValue: 'not a domain', action: 'Block' },
          'InvalidDomainName',
        ],
        [{ ...sha1, indicatorType: 'Url', indicatorValue: 'ht!tp:/x', action: 'Block' }, 'InvalidUrl'],
        [
          { ...sha1, indicatorType: 'IpAddress', indicatorValue: '203.0.113.5', action: 'BlockAndRemediate' },
          'InvalidInput',
        ],
        [{ ...sha1, generateAlert: false }, 'InvalidInput'],
        [{ ...sha1, action: 'AlertAndBlock' }, 'InvalidInput'],
        [{ ...sha1, title: undefined }, 'MissingRequiredParameter'],
        [{ ...sha1, IndicatorValue: 'x' }, 'InvalidRequestBody'],
      ];
      for (const [body, code] of cases) {
        const res = await mde.send('POST', base(), body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.json().error.code, JSON.stringify(body)).to.equal(code);
      }
      expect(
        (
          await mde.send('POST', base(), {
            ...sha1,
            indicatorType: 'IpAddress',
            indicatorValue: '2001:db8::1',
            action: 'Block',
          })
        ).status,
      ).to.equal(200);
      expect(
        (
          await mde.send('POST', base(), {
            ...sha1,
            indicatorType: 'Url',
            indicatorValue: 'https://bad.example.com/x?y=1',
            action: 'Warn',
          })
        ).status,
      ).to.equal(200);
    });

    it('imports up to 500 with per-item results and refuses 501', async () => {
      const res = await mde.send('POST', `${base()}/import`, { Indicators: [sha1, { ...sha1, indicatorValue: 'zz' }] });
      expect(res.status).to.equal(200);
      const [ok, failed] = res.json().value;
      expect(ok).to.deep.include({ indicator: sha1.indicatorValue, isFailed: false, failureReason: null });
      expect(ok.id).to.match(/^\d+$/);
      expect(failed).to.deep.include({ id: null, indicator: 'zz', isFailed: true });
      expect(failed.failureReason).to.include('FileSha1');
      const tooMany = await mde.send('POST', `${base()}/import`, {
        Indicators: Array.from({ length: 501 }, () => sha1),
      });
      expect(tooMany.status).to.equal(400);
      expect(tooMany.json().error).to.include({
        code: 'MaximumBatchSizeExceeded',
        message: 'Maximum batch size exceeded. Received: 501, allowed: 500',
      });
    });

    it('lists with $filter, $top and $skip, deletes one and batch-deletes', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push(
          (
            await mde.send('POST', base(), {
              ...sha1,
              indicatorType: 'DomainName',
              indicatorValue: `bad${i}.example.com`,
              action: 'Block',
            })
          ).json().id,
        );
      }
      const filtered = (
        await mde.get(`${base()}?$filter=${encodeURIComponent("indicatorType eq 'DomainName'")}&$top=2&$skip=1`)
      ).json().value;
      expect(filtered.map((i: any) => i.id)).to.deep.equal(ids.slice(1, 3));
      expect((await mde.send('DELETE', `${base()}/${ids[0]}`, undefined)).status).to.equal(204);
      expect((await mde.send('DELETE', `${base()}/${ids[0]}`, undefined)).status).to.equal(404);
      expect((await mde.send('POST', `${base()}/BatchDelete`, { IndicatorIds: [ids[1], '999999'] })).status).to.equal(
        404,
      );
      expect((await mde.send('POST', `${base()}/BatchDelete`, { IndicatorIds: [] })).status).to.equal(400);
      expect((await mde.send('POST', `${base()}/BatchDelete`, { IndicatorIds: [ids[1], ids[2]] })).status).to.equal(
        204,
      );
      expect((await mde.get(base())).json().value.map((i: any) => i.id)).to.deep.equal([ids[3]]);
    });

    it('refuses a new indicator past the tenant cap with 400 BadRequest but still updates existing ones', async () => {
      emu.settings.indicatorCap = 2;
      try {
        await mde.send('POST', base(), {
          ...sha1,
          indicatorType: 'DomainName',
          indicatorValue: 'a.example.com',
          action: 'Block',
        });
        await mde.send('POST', base(), {
          ...sha1,
          indicatorType: 'DomainName',
          indicatorValue: 'b.example.com',
          action: 'Block',
        });
        const third = await mde.send('POST', base(), {
          ...sha1,
          indicatorType: 'DomainName',
          indicatorValue: 'c.example.com',
          action: 'Block',
        });
        expect(third.status).to.equal(400);
        expect(third.json().error.code).to.equal('BadRequest');
        expect(
          (
            await mde.send('POST', base(), {
              ...sha1,
              indicatorType: 'DomainName',
              indicatorValue: 'a.example.com',
              action: 'Warn',
            })
          ).status,
        ).to.equal(200);
      } finally {
        emu.settings.indicatorCap = 15_000;
      }
    });

    it('needs a Ti.ReadWrite role', async () => {
      expect((await readOnly.get(base())).status).to.equal(403);
    });
  });
});
