import { expect } from 'chai';
import { AlertMemory, dayOf, RETENTION_DAYS } from '../../../src/defender/alert-memory.js';
import { parseApiTime, TICKS_PER_SECOND, type ApiTime } from '../../../src/defender/api-time.js';

const t = (text: string): ApiTime => parseApiTime(text)!;
const DAY = 86_400n * TICKS_PER_SECOND;
const fail = (why: string) => new Error(why);

describe('defender/alert-memory', () => {
  it('calls a version new until it or a later one was written; an older one is stale', () => {
    const memory = new AlertMemory();
    const v1 = { id: 'a', time: t('2024-05-01T10:00:00.1234567Z') };
    const v2 = { id: 'a', time: v1.time + 1n };
    expect(memory.isNew(v1)).to.equal(true);
    memory.note(v1, t('2024-05-01T11:00:00Z'), true);
    expect(memory.isNew(v1)).to.equal(false);
    expect(memory.isNew(v2), '100 ns later is a new version').to.equal(true);
    memory.note(v2, t('2024-05-01T12:00:00Z'), true);
    expect(memory.isNew(v1), 'older than the newest written').to.equal(false);
  });

  it('remembers nothing for an alert served but not written', () => {
    const memory = new AlertMemory();
    memory.note({ id: 'a', time: t('2024-05-01T10:00:00Z') }, t('2024-05-01T10:00:00Z'), false);
    expect(memory.size).to.equal(0);
  });

  it('forgets alerts not served for the retention period, counting from the last incident that held them', () => {
    const memory = new AlertMemory();
    const start = t('2024-01-01T00:00:00Z');
    memory.note({ id: 'quiet', time: start }, start, true);
    memory.note({ id: 'busy', time: start }, start, true);
    // busy's incident is served again (unchanged alert) 100 days later: it stays remembered longer.
    memory.note({ id: 'busy', time: start }, start + 100n * DAY, false);
    expect(memory.prune(start + BigInt(RETENTION_DAYS) * DAY)).to.equal(0);
    expect(memory.prune(start + BigInt(RETENTION_DAYS + 1) * DAY)).to.equal(1);
    expect(memory.isNew({ id: 'quiet', time: start })).to.equal(true);
    expect(memory.isNew({ id: 'busy', time: start })).to.equal(false);
  });

  it('keeps at most the cap, forgetting the least recently served first', () => {
    const memory = new AlertMemory();
    const start = t('2024-05-01T00:00:00Z');
    for (let i = 0; i < 10; i++) memory.note({ id: `a${i}`, time: start }, start + BigInt(i) * DAY, true);
    expect(memory.prune(start + 10n * DAY, 4)).to.equal(6);
    expect([...Array(10).keys()].filter((i) => !memory.isNew({ id: `a${i}`, time: start }))).to.deep.equal([
      6, 7, 8, 9,
    ]);
  });

  it('round-trips through the checkpoint JSON, grouped by the day last served', () => {
    const memory = new AlertMemory();
    memory.note({ id: 'b', time: t('2024-05-01T10:00:00.1234567Z') }, t('2024-05-02T23:59:59Z'), true);
    memory.note({ id: 'a', time: t('2024-05-01T09:00:00Z') }, t('2024-05-02T00:00:00Z'), true);
    memory.note({ id: 'c', time: t('2024-04-30T09:00:00Z') }, t('2024-04-30T09:00:00Z'), true);
    const json = JSON.parse(JSON.stringify(memory.toJson())) as unknown;
    expect(json).to.deep.equal({
      '2024-04-30': ['c', '2024-04-30T09:00:00.0000000Z'],
      '2024-05-02': ['b', '2024-05-01T10:00:00.1234567Z', 'a', '2024-05-01T09:00:00.0000000Z'],
    });
    const back = AlertMemory.fromJson(json, fail);
    expect(back.size).to.equal(3);
    expect(back.isNew({ id: 'b', time: t('2024-05-01T10:00:00.1234567Z') })).to.equal(false);
    expect(back.toJson()).to.deep.equal(json);
    expect(dayOf(t('1969-12-31T23:00:00Z'))).to.equal(-1);
  });

  it('refuses a malformed alert_memory with the reason', () => {
    expect(() => AlertMemory.fromJson([], fail)).to.throw(/not an object/);
    expect(() => AlertMemory.fromJson({ yesterday: [] }, fail)).to.throw(/entry "yesterday" is malformed/);
    expect(() => AlertMemory.fromJson({ '2024-05-01': ['a'] }, fail)).to.throw(/entry "2024-05-01" is malformed/);
    expect(() => AlertMemory.fromJson({ '2024-05-01': ['a', 'noon'] }, fail)).to.throw(/pair 1 of 2024-05-01/);
    // A time not in the canonical form, but a time: read.
    const memory = AlertMemory.fromJson({ '2024-05-01': ['a', '2024-05-01T10:00:00Z'] }, fail);
    expect(memory.isNew({ id: 'a', time: t('2024-05-01T10:00:00Z') })).to.equal(false);
    expect(memory.isNew({ id: 'a', time: t('2024-05-01T10:00:00.0000001Z') })).to.equal(true);
  });
});
