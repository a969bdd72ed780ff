/**
 * A linear map between two speakers' normalised spectral envelopes, from their training
 * recordings alone (no parallel sentences): the optimal-transport map between the two
 * Gaussians that have each speaker's frame correlations.
 *
 * Per-bin statistics (normalization.ts) match each bin's mean and spread but leave how the
 * bins move together untouched: a formant that shifts, a tilt that changes with loudness.
 * With A and B the second-moment matrices of the two speakers' normalised, non-silent
 * envelope frames, T = A^-1/2 (A^1/2 B A^1/2)^1/2 A^-1/2 is the one symmetric positive map
 * with T A T = B: it turns the source's frame distribution into the target's while moving
 * each frame as little as possible (squared distance) — the Monge map between N(0, A) and
 * N(0, B). T_ba is T_ab's inverse, so the two generators' skips undo each other, as the
 * cycle loss wants.
 *
 * The map alone, no network (MCD in dB, per-bin statistics -> this map; README, "What to
 * expect from a run"): alice -> bob 7.06 -> 6.38 and bob -> alice 6.42 -> 5.98 on samples/dev,
 * but 8.13 -> 7.78 and 8.32 -> 8.47 on the real Spanish pair. It is the 'transport' skip
 * path's starting point (model/presets.ts), not a conversion of its own.
 */

import type { Spectrogram } from '../audio/config.js';

/** Added to both matrices' diagonals: bins that never vary (above a telephone band) have no spread to invert. */
export const TRANSPORT_RIDGE = 1e-3;

/** Row-major n x n matrices. */
export type SquareMatrix = Float64Array;

/**
 * Second moments E[x xᵀ] of the frames where `keep` is 1, over all utterances: x is a
 * column of a normalised [rows, frames] spectrogram.
 */
export function frameSecondMoments(utterances: readonly Spectrogram[], keep: readonly ArrayLike<number>[]): SquareMatrix {
  if (utterances.length === 0) throw new Error('frameSecondMoments: no utterances');
  const n = utterances[0].rows;
  const sums = new Float64Array(n * n);
  const x = new Float64Array(n);
  let count = 0;
  utterances.forEach((u, k) => {
    if (u.rows !== n) throw new Error(`frameSecondMoments: mixed bin counts ${n} and ${u.rows}`);
    for (let t = 0; t < u.frames; t++) {
      if (!keep[k][t]) continue;
      for (let r = 0; r < n; r++) x[r] = u.data[r * u.frames + t];
      for (let i = 0; i < n; i++) {
        const xi = x[i];
        for (let j = i; j < n; j++) sums[i * n + j] += xi * x[j];
      }
      count++;
    }
  });
  if (count < 2) throw new Error('frameSecondMoments: fewer than 2 frames');
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = sums[i * n + j] / count;
      sums[i * n + j] = v;
      sums[j * n + i] = v;
    }
  }
  return sums;
}

/** Eigenvalues and eigenvectors (columns of `vectors`, row-major) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(m: SquareMatrix, n: number): { values: Float64Array; vectors: SquareMatrix } {
  const a = Float64Array.from(m);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // The rotation that zeroes a[p][q] (Golub & Van Loan's symmetric Schur step).
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/** f(M) = V f(Λ) Vᵀ for each f, from one eigen-decomposition of a symmetric positive semi-definite M (eigenvalues clamped at 0). */
function matrixFunctions(m: SquareMatrix, n: number, fs: readonly ((x: number) => number)[]): SquareMatrix[] {
  const { values, vectors } = symmetricEigen(m, n);
  return fs.map((f) => {
    const fv = values.map((x) => f(Math.max(x, 0)));
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[i * n + k] * fv[k] * vectors[j * n + k];
        out[i * n + j] = s;
        out[j * n + i] = s;
      }
    }
    return out;
  });
}

export function multiply(x: SquareMatrix, y: SquareMatrix, n: number): SquareMatrix {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const xik = x[i * n + k];
      if (xik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += xik * y[k * n + j];
    }
  }
  return out;
}

/**
 * The Gaussian optimal-transport map from second moments `source` to `target` (n x n,
 * each with TRANSPORT_RIDGE added to its diagonal): T = A^-1/2 (A^1/2 B A^1/2)^1/2 A^-1/2.
 */
export function gaussianTransport(source: SquareMatrix, target: SquareMatrix, n: number): SquareMatrix {
  const ridge = (m: SquareMatrix) => m.map((v, i) => (i % (n + 1) === 0 ? v + TRANSPORT_RIDGE : v));
  const a = ridge(source);
  const b = ridge(target);
  const [aHalf, aInvHalf] = matrixFunctions(a, n, [Math.sqrt, (x) => 1 / Math.sqrt(x)]);
  const [middle] = matrixFunctions(multiply(multiply(aHalf, b, n), aHalf, n), n, [Math.sqrt]);
  const t = multiply(multiply(aInvHalf, middle, n), aInvHalf, n);
  // Symmetric in exact arithmetic; make it so in floating point too.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = 0.5 * (t[i * n + j] + t[j * n + i]);
      t[i * n + j] = s;
      t[j * n + i] = s;
    }
  }
  return t;
}

/** A model's two fixed skip maps: a2b for the generator A -> B, b2a (its inverse) for B -> A; row-major float32. */
export interface TransportMaps {
  a2b: Float32Array;
  b2a: Float32Array;
}

/** Both directions' maps from the two speakers' second moments (frameSecondMoments). */
export function transportMaps(momentsA: SquareMatrix, momentsB: SquareMatrix, n: number): TransportMaps {
  return { a2b: Float32Array.from(gaussianTransport(momentsA, momentsB, n)), b2a: Float32Array.from(gaussianTransport(momentsB, momentsA, n)) };
}
