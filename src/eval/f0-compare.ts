/** Voicing and F0 agreement of two pitch tracks along a DTW path (evaluation only). */
import { centsBetween, type F0Track } from '../audio/pitch.js';
import type { WarpingPath } from './dtw.js';

/** Sums over the aligned frame pairs of two tracks, so files can be pooled before dividing. */
export interface F0Agreement {
  /** Aligned pairs. */
  pairs: number;
  /** Pairs where both sides agree on voiced/unvoiced. */
  agreeing: number;
  /** Pairs voiced on both sides, and Σ of their cent differences and squared differences. */
  bothVoiced: number;
  sumCents: number;
  sumSquaredCents: number;
}

/** Compare track a (e.g. converted) with b (target) over the aligned frame pairs of `path`. */
export function compareF0(a: F0Track, b: F0Track, path: WarpingPath): F0Agreement {
  const result: F0Agreement = { pairs: path.a.length, agreeing: 0, bothVoiced: 0, sumCents: 0, sumSquaredCents: 0 };
  for (let k = 0; k < path.a.length; k++) {
    const i = path.a[k];
    const j = path.b[k];
    if (a.voiced[i] === b.voiced[j]) result.agreeing++;
    if (a.voiced[i] && b.voiced[j]) {
      const cents = centsBetween(a.f0Hz[i], b.f0Hz[j]);
      result.bothVoiced++;
      result.sumCents += cents;
      result.sumSquaredCents += cents * cents;
    }
  }
  return result;
}
