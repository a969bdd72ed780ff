import { describe, expect, it } from 'vitest';
import { Random } from '../src/util/random.js';

describe('Random', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('resumes the same stream from a saved state', () => {
    const r = new Random(7);
    for (let i = 0; i < 100; i++) r.next();
    const copy = new Random(r.getState());
    for (let i = 0; i < 50; i++) expect(copy.next()).toBe(r.next());
  });

  it('is roughly uniform', () => {
    const r = new Random(1);
    const bins = new Array(10).fill(0);
    const n = 100000;
    for (let i = 0; i < n; i++) bins[r.int(10)]++;
    for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(n / 100);
  });
});
