import { expect } from 'chai';
import { OrderedCommit } from '../../../src/defender/ordered-commit.js';

describe('OrderedCommit', () => {
  it('hands back complete windows only as a prefix, oldest first, each once', () => {
    const order = new OrderedCommit<string>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((w) => order.add(w));
    order.complete(c!);
    order.complete(b!);
    expect(order.takeReady(), 'a is still open').to.deep.equal([]);
    order.complete(a!);
    expect(order.takeReady()).to.deep.equal(['a', 'b', 'c']);
    expect(order.takeReady()).to.deep.equal([]);
    expect(order.size).to.equal(1);
    const e = order.add('e');
    order.complete(e);
    expect(order.takeReady(), 'd is still open').to.deep.equal([]);
    order.complete(d!);
    expect(order.takeReady()).to.deep.equal(['d', 'e']);
    expect(order.size).to.equal(0);
  });

  it('refuses a window completed twice or never registered', () => {
    const order = new OrderedCommit<number>();
    const a = order.add(1);
    order.complete(a);
    expect(() => order.complete(a)).to.throw(/already complete/);
    order.takeReady();
    expect(() => order.complete(a)).to.throw(/not pending/);
    expect(() => order.complete(5)).to.throw(/not pending/);
  });

  it('agrees with a model over random completion orders', () => {
    let rnd = 17;
    const random = () => (rnd = (rnd * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 50; round++) {
      const order = new OrderedCommit<number>();
      const n = 1 + Math.floor(random() * 20);
      const open = Array.from({ length: n }, (_, i) => order.add(i));
      const committed: number[] = [];
      const done = new Set<number>();
      while (open.length > 0) {
        const seq = open.splice(Math.floor(random() * open.length), 1)[0]!;
        order.complete(seq);
        done.add(seq);
        committed.push(...order.takeReady());
        // The model: everything below the first incomplete window.
        let prefix = 0;
        while (done.has(prefix)) prefix++;
        expect(committed).to.deep.equal(Array.from({ length: prefix }, (_, i) => i));
      }
    }
  });
});
