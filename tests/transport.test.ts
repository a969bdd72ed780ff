import { describe, expect, it } from 'vitest';
import { frameSecondMoments, gaussianTransport, multiply, symmetricEigen, TRANSPORT_RIDGE, type SquareMatrix } from '../src/model/transport.js';
import { Random } from '../src/util/random.js';

/** A random symmetric positive definite n x n matrix: G Gᵀ / n + 0.1 I, with correlated bins like an envelope's. */
function randomSpd(n: number, seed: number): SquareMatrix {
  const rng = new Random(seed);
  const g = Float64Array.from({ length: n * n }, () => rng.next() - 0.5);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) m[i * n + j] += (g[i * n + k] * g[j * n + k]) / n;
  for (let i = 0; i < n; i++) m[i * n + i] += 0.1;
  return m;
}

function transpose(m: SquareMatrix, n: number): SquareMatrix {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = m[i * n + j];
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const identity = (n: number): SquareMatrix => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
const withRidge = (m: SquareMatrix, n: number): SquareMatrix => m.map((v, i) => (i % (n + 1) === 0 ? v + TRANSPORT_RIDGE : v));

describe('symmetricEigen', () => {
  it('gives orthonormal eigenvectors that rebuild the matrix', () => {
    const n = 12;
    const m = randomSpd(n, 3);
    const { values, vectors } = symmetricEigen(m, n);
    expect(maxAbsDiff(multiply(transpose(vectors, n), vectors, n), identity(n))).toBeLessThan(1e-10);
    const scaled = vectors.map((v, i) => v * values[i % n]); // V Λ
    expect(maxAbsDiff(multiply(scaled, transpose(vectors, n), n), m)).toBeLessThan(1e-10);
  });
});

describe('gaussianTransport', () => {
  const n = 16;
  const a = randomSpd(n, 1);
  const b = randomSpd(n, 2);
  const t = gaussianTransport(a, b, n);

  it('pushes the source second moments onto the target ones: T A T = B', () => {
    const pushed = multiply(multiply(t, withRidge(a, n), n), t, n);
    expect(maxAbsDiff(pushed, withRidge(b, n))).toBeLessThan(1e-8);
  });

  it('is symmetric positive definite, and the reverse map is its inverse', () => {
    expect(maxAbsDiff(t, transpose(t, n))).toBe(0);
    expect(Math.min(...symmetricEigen(t, n).values)).toBeGreaterThan(0);
    expect(maxAbsDiff(multiply(gaussianTransport(b, a, n), t, n), identity(n))).toBeLessThan(1e-8);
  });

  it('is the identity between equal distributions, and a per-bin rescaling between uncorrelated ones', () => {
    expect(maxAbsDiff(gaussianTransport(a, a, n), identity(n))).toBeLessThan(1e-9);
    const da = Float64Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? [1, 4, 9][i / 4] : 0));
    const db = Float64Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? [4, 1, 9][i / 4] : 0));
    const expected = [0, 1, 2].map((k) => Math.sqrt(([4, 1, 9][k] + TRANSPORT_RIDGE) / ([1, 4, 9][k] + TRANSPORT_RIDGE)));
    const d = gaussianTransport(da, db, 3);
    expect(maxAbsDiff([d[0], d[4], d[8]], expected)).toBeLessThan(1e-12);
    expect(maxAbsDiff([d[1], d[2], d[3], d[5], d[6], d[7]], [0, 0, 0, 0, 0, 0])).toBe(0);
  });
});

describe('frameSecondMoments', () => {
  it('averages x xᵀ over the kept frames of every utterance', () => {
    // Two bins; utterance 1 frames (1, 2), (3, 4) [the second dropped]; utterance 2 frame (-1, 1).
    const u1 = { rows: 2, frames: 2, data: Float32Array.of(1, 3, 2, 4) };
    const u2 = { rows: 2, frames: 1, data: Float32Array.of(-1, 1) };
    const m = frameSecondMoments([u1, u2], [Uint8Array.of(1, 0), Uint8Array.of(1)]);
    expect(Array.from(m)).toEqual([(1 + 1) / 2, (2 - 1) / 2, (2 - 1) / 2, (4 + 1) / 2]);
  });
});
