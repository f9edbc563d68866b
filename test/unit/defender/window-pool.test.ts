import { expect } from 'chai';
import {
  AdaptivePoolSize,
  fixedPoolSize,
  MAX_POOL_SIZE,
  MIN_POOL_SIZE,
  runWindowPool,
} from '../../../src/defender/window-pool.js';

/** A promise settled by hand, so tests decide the order in which windows finish. */
function gate() {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('runWindowPool', () => {
  it('reads up to size windows at once and commits them in order as the front completes', async () => {
    const gates = Array.from({ length: 5 }, gate);
    let next = 0;
    const started: number[] = [];
    const commits: number[][] = [];
    const run = runWindowPool<number>({
      next: () => (next < 5 ? next++ : undefined),
      read: async (w) => {
        started.push(w);
        await gates[w]!.promise;
      },
      commit: async (ws) => {
        commits.push(ws);
      },
      size: fixedPoolSize(3),
      signal: new AbortController().signal,
    });
    await tick();
    expect(started).to.deep.equal([0, 1, 2]);
    gates[2]!.open();
    await tick();
    expect(commits, 'window 2 waits for 0 and 1').to.deep.equal([]);
    expect(started).to.deep.equal([0, 1, 2, 3]);
    gates[0]!.open();
    await tick();
    expect(commits).to.deep.equal([[0]]);
    gates[1]!.open();
    gates[4]!.open();
    await tick();
    await tick();
    expect(commits).to.deep.equal([[0], [1, 2]]);
    gates[3]!.open();
    await run;
    expect(commits).to.deep.equal([[0], [1, 2], [3, 4]]);
  });

  it('stops at the first failure: no new window, the others aborted, that error thrown, nothing after it committed', async () => {
    const gates = Array.from({ length: 3 }, gate);
    let next = 0;
    const signals: AbortSignal[] = [];
    const commits: number[] = [];
    const run = runWindowPool<number>({
      next: () => next++,
      read: async (w, signal) => {
        signals.push(signal);
        signal.addEventListener('abort', () => gates[w]!.fail(new Error(`aborted ${w}`)));
        await gates[w]!.promise;
      },
      commit: async (ws) => {
        commits.push(...ws);
      },
      size: fixedPoolSize(3),
      signal: new AbortController().signal,
    });
    await tick();
    gates[1]!.fail(new Error('connection reset'));
    let error: Error | undefined;
    await run.catch((e: Error) => (error = e));
    expect(error?.message).to.equal('connection reset');
    expect(next, 'no window started after the failure').to.equal(3);
    expect(signals.every((s) => s.aborted)).to.equal(true);
    expect(commits).to.deep.equal([]);
  });

  it('starts nothing once the run is asked to stop, and aborts what is in flight', async () => {
    const stop = new AbortController();
    let next = 0;
    const run = runWindowPool<number>({
      next: () => next++,
      read: (_w, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')))),
      commit: async () => undefined,
      size: fixedPoolSize(2),
      signal: stop.signal,
    });
    await tick();
    stop.abort();
    let error: Error | undefined;
    await run.catch((e: Error) => (error = e));
    expect(error?.message).to.equal('stopped');
    expect(next).to.equal(2);
  });

  it('passes a failing commit on and commits nothing after it', async () => {
    let next = 0;
    const commits: number[] = [];
    let error: Error | undefined;
    await runWindowPool<number>({
      next: () => (next < 4 ? next++ : undefined),
      read: async () => undefined,
      commit: async (ws) => {
        if (ws.includes(1)) throw new Error('EPIPE');
        commits.push(...ws);
      },
      size: fixedPoolSize(1),
      signal: new AbortController().signal,
    }).catch((e: Error) => (error = e));
    expect(error?.message).to.equal('EPIPE');
    expect(commits).to.deep.equal([0]);
  });
});

describe('runWindowPool, a slow first window', () => {
  it('reads no further ahead of the oldest uncommitted window than twice the pool size', async () => {
    const first = gate();
    let next = 0;
    const started: number[] = [];
    const commits: number[][] = [];
    const run = runWindowPool<number>({
      next: () => (next < 20 ? next++ : undefined),
      read: async (w) => {
        started.push(w);
        if (w === 0) await first.promise;
      },
      commit: async (ws) => {
        commits.push(ws);
      },
      size: fixedPoolSize(2),
      signal: new AbortController().signal,
    });
    for (let i = 0; i < 10; i++) await tick();
    // Window 0 holds the commit: 0–3 are pending (twice the size), so nothing past 3 was started.
    expect(started).to.deep.equal([0, 1, 2, 3]);
    expect(commits).to.deep.equal([]);
    first.open();
    await run;
    expect(started).to.have.length(20);
    expect(commits.flat()).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('AdaptivePoolSize', () => {
  it('grows while no request waits for the quota and shrinks while two or more do, within its bounds', () => {
    let waiting = 0;
    const size = new AdaptivePoolSize(() => waiting);
    expect(size.size()).to.equal(MIN_POOL_SIZE);
    for (let i = 0; i < 20; i++) size.pageRead();
    expect(size.size()).to.equal(MAX_POOL_SIZE);
    waiting = 1; // one waiting: the quota is just filled, stay
    size.pageRead();
    expect(size.size()).to.equal(MAX_POOL_SIZE);
    waiting = 3;
    for (let i = 0; i < 3; i++) size.pageRead();
    expect(size.size()).to.equal(MAX_POOL_SIZE - 3);
    for (let i = 0; i < 20; i++) size.pageRead();
    expect(size.size()).to.equal(MIN_POOL_SIZE);
  });

  it('doubles until a request first waits, then grows one window at a time', () => {
    let waiting = 0;
    const size = new AdaptivePoolSize(() => waiting, 16);
    size.pageRead();
    expect(size.size()).to.equal(MIN_POOL_SIZE * 2);
    size.pageRead();
    expect(size.size()).to.equal(MIN_POOL_SIZE * 4);
    waiting = 1;
    size.pageRead();
    expect(size.size(), 'one waiting: stay').to.equal(MIN_POOL_SIZE * 4);
    waiting = 0;
    size.pageRead();
    expect(size.size(), 'after the first wait: one at a time').to.equal(MIN_POOL_SIZE * 4 + 1);
  });

  it('fixedPoolSize refuses nonsense', () => {
    expect(() => fixedPoolSize(0)).to.throw(/whole number ≥ 1/);
    expect(fixedPoolSize(1).size()).to.equal(1);
  });
});
