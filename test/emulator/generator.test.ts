import { expect } from 'chai';
import { parseApiTime } from '../../src/defender/api-time.js';
import { generateAlerts, loadFixtureAlerts } from './generator.js';
import { toWireJson } from './real-shapes.js';

const range = { from: '2024-05-01T00:00:00Z', to: '2024-05-01T06:00:00Z' };

describe('emulator: alert generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateAlerts('graph', { count: 50, seed: 1, ...range });
    expect(generateAlerts('graph', { count: 50, seed: 1, ...range })).to.deep.equal(a);
    const ids = new Set(a.map((x) => x.id));
    expect(generateAlerts('graph', { count: 50, seed: 2, ...range }).some((x) => ids.has(x.id))).to.equal(false);
  });

  it('gives unique ids, times inside [from, to) in ascending order, and keeps every fixture field', () => {
    for (const api of ['graph', 'mde'] as const) {
      const field = api === 'graph' ? 'lastUpdateDateTime' : 'lastUpdateTime';
      const items = generateAlerts(api, { count: 300, seed: 3, ...range });
      expect(new Set(items.map((x) => x.id)).size).to.equal(300);
      const times = items.map((x) => parseApiTime(x[field] as string)!);
      expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).to.equal(true);
      expect(times[0]! >= parseApiTime(range.from)! && times.at(-1)! < parseApiTime(range.to)!).to.equal(true);
      const fixtureKeys = Object.keys(loadFixtureAlerts(api)[0]!);
      expect(Object.keys(items[0]!)).to.include.members(fixtureKeys);
    }
  });

  it('groups SIEM detections under shared AlertIds with distinct FullIds', () => {
    const items = generateAlerts('siem', { count: 200, seed: 4, ...range });
    expect(new Set(items.map((x) => x.FullId)).size).to.equal(200);
    const alertIds = new Set(items.map((x) => x.AlertId));
    expect(alertIds.size).to.be.below(150);
    for (const d of items) expect(d.FullId).to.match(new RegExp(`^${String(d.AlertId)}:`));
  });

  it('draws times from only tieGroups instants, and plants hostile alerts every n', () => {
    const items = generateAlerts('graph', { count: 100, seed: 5, ...range, tieGroups: 3, hostileEvery: 10 });
    expect(new Set(items.map((x) => x.lastUpdateDateTime)).size).to.be.at.most(3);
    expect(items.filter((x) => String(x.title).includes(']]>'))).to.have.length(10);
  });

  it('pads items to about approxBytes', () => {
    const items = generateAlerts('mde', { count: 20, seed: 6, ...range, approxBytes: 4000 });
    for (const x of items) expect(Buffer.byteLength(JSON.stringify(x))).to.be.within(3700, 4300);
  });
});

describe('emulator: real-shaped alerts', () => {
  const graph = generateAlerts('graph', { count: 200, seed: 7, ...range, largeEvery: 50 });

  it('gives graph alerts the documented real shape: ids da+GUID+_1 (or MDE ids), ?tid= links, alertPolicyId, additionalData, evidence last', () => {
    for (const a of graph) {
      expect(String(a.id)).to.match(
        /^da([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}_1|\d{18}_-?\d+)$/,
      );
      expect(String(a.alertWebUrl)).to.equal(
        `https://security.microsoft.com/alerts/${String(a.id)}?tid=${String(a.tenantId)}`,
      );
      expect(a).to.have.property('alertPolicyId');
      expect(a.additionalData).to.be.an('object');
      expect(Object.keys(a).at(-1)).to.equal('evidence');
    }
    const devices = graph.flatMap((a) =>
      (a.evidence as Record<string, unknown>[]).filter(
        (e) => e['@odata.type'] === '#microsoft.graph.security.deviceEvidence',
      ),
    );
    expect(devices.some((d) => d.vmMetadata !== null && typeof d.vmMetadata === 'object')).to.equal(true);
    expect(devices.some((d) => d.deviceDnsName === null)).to.equal(true);
    const withoutProductName = graph.filter((a) => !('productName' in a)).length;
    expect(withoutProductName).to.be.within(20, 120);
  });

  it('escapes / as \\/ on the wire, and the wire text parses back to the same alert', () => {
    const wire = toWireJson(graph[0]!);
    expect(wire).to.contain('https:\\/\\/security.microsoft.com\\/alerts\\/');
    expect(JSON.parse(wire)).to.deep.equal(JSON.parse(JSON.stringify(graph[0])));
  });

  it('makes every largeEvery-th alert tens of KB with its evidence past byte 5,000, and keeps the others compact', () => {
    const sizes = graph.map((a) => Buffer.byteLength(toWireJson(a)));
    const large = graph.filter((_, i) => (i + 1) % 50 === 0).map((a) => toWireJson(a));
    for (const w of large) {
      expect(Buffer.byteLength(w)).to.be.above(40_000);
      expect(Buffer.byteLength(w.slice(0, w.indexOf('"evidence"')))).to.be.above(5_000);
    }
    expect(Math.max(...sizes.filter((_, i) => (i + 1) % 50 !== 0))).to.be.below(10_000);
  });

  it('gives mde and siem items JSON nulls where the API leaves a value out, and stays deterministic', () => {
    const mde = generateAlerts('mde', { count: 100, seed: 8, ...range });
    expect(mde.some((a) => a.computerDnsName === null)).to.equal(true);
    expect(mde.some((a) => a.relatedUser === null)).to.equal(true);
    const siem = generateAlerts('siem', { count: 100, seed: 9, ...range });
    expect(siem.some((a) => a.UserName === null) && siem.some((a) => a.UserName === '')).to.equal(true);
    expect(generateAlerts('mde', { count: 100, seed: 8, ...range })).to.deep.equal(mde);
  });
});
