import { describe, expect, it } from 'vitest';
import { defaultSchedule, lrFactor, settingsAt } from '../src/run/schedule.js';

describe('training schedule', () => {
  it('keeps the learning rate constant for the first half, then decays linearly to zero at the end', () => {
    const s = defaultSchedule(1000);
    expect(settingsAt(s, 0).lrG).toBe(2e-4);
    expect(settingsAt(s, 0).lrD).toBe(1e-4);
    expect(settingsAt(s, 499).lrG).toBe(2e-4);
    expect(lrFactor(s, 500)).toBe(1);
    expect(lrFactor(s, 750)).toBeCloseTo(0.5, 12);
    expect(lrFactor(s, 999)).toBeCloseTo(1 / 500, 12);
    expect(lrFactor(s, 1000)).toBe(0);
    expect(lrFactor(s, 5000)).toBe(0);
  });

  it('decreases monotonically, never negative, and every step of the decay is the same size', () => {
    const s = defaultSchedule(101);
    let prev = Infinity;
    const steps: number[] = [];
    for (let i = 0; i <= 101; i++) {
      const f = lrFactor(s, i);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThanOrEqual(prev);
      if (i > s.decayStart) steps.push(prev - f);
      prev = f;
    }
    for (const d of steps) expect(d).toBeCloseTo(steps[0], 12);
  });

  it('uses the identity loss only for the first part of the run, at most 10k iterations', () => {
    const short = defaultSchedule(2000);
    expect(settingsAt(short, 0).identityWeight).toBe(5);
    expect(settingsAt(short, 999).identityWeight).toBe(5);
    expect(settingsAt(short, 1000).identityWeight).toBe(0);
    const long = defaultSchedule(200000);
    expect(long.identityUntil).toBe(10000);
    expect(long.decayStart).toBe(100000);
    expect(settingsAt(long, 9999).identityWeight).toBe(5);
    expect(settingsAt(long, 10000).identityWeight).toBe(0);
    expect(settingsAt(long, 10000).cycleWeight).toBe(10);
  });

  it('rejects a non-positive length', () => {
    expect(() => defaultSchedule(0)).toThrow(RangeError);
  });
});
