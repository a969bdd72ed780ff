/**
 * Mel-cepstral distortion (MCD) between two utterances of the same text:
 *   1. drop each side's silent frames (energy more than `silenceDb` below that side's loudest frame),
 *   2. align the remaining c1..cM vectors with DTW (Euclidean distance, symmetric steps),
 *   3. average (10 / ln 10)·sqrt(2·Σ_{d=1..M} (c_d − c'_d)²) over the aligned frame pairs.
 * c0 (overall level) is excluded, as is customary: loudness is not voice identity.
 */
import { dtw, type WarpingPath } from './dtw.js';
import type { MelCepstrogram } from './mel-cepstrum.js';
import { VoiceswapError } from '../errors.js';

/** 10 / ln 10: converts a natural-log amplitude difference into dB (20·log10 = (20 / ln 10)·ln, folded with the √2). */
export const MCD_DB_PER_NEPER = 10 / Math.LN10;

/** Default silence threshold: frames more than 40 dB below the file's loudest frame are silent. */
export const DEFAULT_SILENCE_DB = 40;

/** MCD in dB between c1..cM of frame i of a and frame j of b (both of order M). */
export function frameMcd(a: MelCepstrogram, i: number, b: MelCepstrogram, j: number): number {
  const width = a.order + 1;
  let s = 0;
  for (let d = 1; d < width; d++) {
    const diff = a.coeffs[i * width + d] - b.coeffs[j * width + d];
    s += diff * diff;
  }
  return MCD_DB_PER_NEPER * Math.sqrt(2 * s);
}

/** Indices of the frames whose energy is within `silenceDb` of the loudest frame. */
export function nonSilentFrames(energyDb: Float64Array, silenceDb: number = DEFAULT_SILENCE_DB): Int32Array {
  if (!(silenceDb > 0)) throw new VoiceswapError(`silence threshold must be a positive number of dB, got ${silenceDb}`);
  let loudest = -Infinity;
  for (const e of energyDb) if (e > loudest) loudest = e;
  const kept: number[] = [];
  for (let t = 0; t < energyDb.length; t++) if (energyDb[t] >= loudest - silenceDb) kept.push(t);
  return Int32Array.from(kept);
}

/** c1..cM of the listed frames, packed frame-major (the DTW input). */
function cepstraWithoutC0(c: MelCepstrogram, frames: Int32Array): Float64Array {
  const width = c.order + 1;
  const out = new Float64Array(frames.length * c.order);
  frames.forEach((t, k) => out.set(c.coeffs.subarray(t * width + 1, (t + 1) * width), k * c.order));
  return out;
}

export interface McdResult {
  /** Mean MCD over the aligned frame pairs, dB. */
  mcdDb: number;
  /** Sum of the per-pair MCDs (for frame-weighted pooling over files). */
  sumDb: number;
  /** The DTW path in ORIGINAL frame indices of a and b (silent frames never appear). */
  path: WarpingPath;
  /** Non-silent frames of each side. */
  framesA: Int32Array;
  framesB: Int32Array;
}

/** MCD of a against b (see the file comment). Symmetric: swapping a and b gives the same value. */
export function melCepstralDistortion(a: MelCepstrogram, b: MelCepstrogram, silenceDb: number = DEFAULT_SILENCE_DB): McdResult {
  if (a.order !== b.order) throw new VoiceswapError(`MCD: mel-cepstra of different orders (${a.order} and ${b.order})`);
  const framesA = nonSilentFrames(a.energyDb, silenceDb);
  const framesB = nonSilentFrames(b.energyDb, silenceDb);
  const aligned = dtw(cepstraWithoutC0(a, framesA), cepstraWithoutC0(b, framesB), a.order).path;
  const path: WarpingPath = { a: aligned.a.map((k) => framesA[k]), b: aligned.b.map((k) => framesB[k]) };
  let sumDb = 0;
  for (let k = 0; k < path.a.length; k++) sumDb += frameMcd(a, path.a[k], b, path.b[k]);
  return { mcdDb: sumDb / path.a.length, sumDb, path, framesA, framesB };
}
