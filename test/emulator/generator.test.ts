import { expect } from 'chai';
import { parseApiTime } from '../../src/defender/api-time.js';
import { generateAlerts, loadFixtureAlerts } from './generator.js';

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
