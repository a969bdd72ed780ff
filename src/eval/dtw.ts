/**
 * Dynamic time warping between two sequences of vectors with the Euclidean distance and
 * the symmetric step pattern of Sakoe & Chiba (1978) ("symmetric2" in R's dtw package):
 *
 *   D(i, j) = min( D(i−1, j−1) + 2·d(i, j),  D(i−1, j) + d(i, j),  D(i, j−1) + d(i, j) ),
 *   D(0, 0) = 2·d(0, 0).
 *
 * The diagonal step is weighted 2 so that every complete path has the same total weight
 * (n + m): the normalised cost D / (n + m) does not favour shortcuts through the matrix.
 * Ties prefer the diagonal, then the step that advances the longer sequence.
 * Memory: two rows of costs plus one byte per cell for the back-pointers.
 */
import { VoiceswapError } from '../errors.js';

/** A warping path: pairs (a[k], b[k]) from (0, 0) to (n−1, m−1), monotone, unit steps. */
export interface WarpingPath {
  a: Int32Array;
  b: Int32Array;
}

export interface DtwResult {
  path: WarpingPath;
  /** Accumulated cost divided by n + m (the path weight of the symmetric pattern). */
  normalizedCost: number;
}

const FROM_DIAGONAL = 0;
const FROM_A = 1; // (i−1, j): a advanced, b repeated
const FROM_B = 2; // (i, j−1): b advanced, a repeated

/** Euclidean distance between vector i of a and vector j of b (frame-major, `dim` values each). */
export function euclidean(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  let s = 0;
  const ai = i * dim;
  const bj = j * dim;
  for (let k = 0; k < dim; k++) {
    const d = a[ai + k] - b[bj + k];
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * Align sequence a (n vectors) with sequence b (m vectors), both frame-major with `dim`
 * values per vector. O(n·m) time.
 */
export function dtw(a: Float64Array, b: Float64Array, dim: number): DtwResult {
  if (!Number.isInteger(dim) || dim < 1) throw new VoiceswapError(`dtw: vector dimension must be a positive integer, got ${dim}`);
  const n = a.length / dim;
  const m = b.length / dim;
  if (!Number.isInteger(n) || !Number.isInteger(m)) throw new VoiceswapError(`dtw: sequence lengths are not multiples of the dimension ${dim}`);
  if (n === 0 || m === 0) throw new VoiceswapError('dtw: cannot align an empty sequence');

  const steps = new Uint8Array(n * m);
  const aIsLonger = n >= m;
  let previous = new Float64Array(m);
  let current = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const d = euclidean(a, i, b, j, dim);
      if (i === 0 && j === 0) {
        current[0] = 2 * d;
        continue;
      }
      let best = Infinity;
      let step = FROM_DIAGONAL;
      if (i > 0 && j > 0) best = previous[j - 1] + 2 * d;
      const viaA = i > 0 ? previous[j] + d : Infinity;
      const viaB = j > 0 ? current[j - 1] + d : Infinity;
      // Among equal non-diagonal options advance the longer sequence (keeps the path near the slope).
      if (aIsLonger) {
        if (viaA < best) {
          best = viaA;
          step = FROM_A;
        }
        if (viaB < best) {
          best = viaB;
          step = FROM_B;
        }
      } else {
        if (viaB < best) {
          best = viaB;
          step = FROM_B;
        }
        if (viaA < best) {
          best = viaA;
          step = FROM_A;
        }
      }
      current[j] = best;
      steps[i * m + j] = step;
    }
    [previous, current] = [current, previous];
  }
  const total = previous[m - 1];
  return { path: backtrack(steps, n, m), normalizedCost: total / (n + m) };
}

function backtrack(steps: Uint8Array, n: number, m: number): WarpingPath {
  const a: number[] = [];
  const b: number[] = [];
  let i = n - 1;
  let j = m - 1;
  for (;;) {
    a.push(i);
    b.push(j);
    if (i === 0 && j === 0) break;
    const step = steps[i * m + j];
    if (step === FROM_DIAGONAL) {
      i--;
      j--;
    } else if (step === FROM_A) {
      i--;
    } else {
      j--;
    }
  }
  return { a: Int32Array.from(a.reverse()), b: Int32Array.from(b.reverse()) };
}
