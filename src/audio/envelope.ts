/**
 * A log-mel frame seen as two parts: its spectral envelope (formants, tilt: what is said
 * and who says it) and its fine structure (the harmonic ripple of the pitch, or the
 * randomness of noise). The envelope is the frame smoothed across mel bins; the fine
 * structure is what the smoothing removes, so envelope + fine structure = the frame.
 */
import type { Spectrogram } from './config.js';

/**
 * Taps of the Hann window that smooths across mel bins. At the low end a bin is ~38 Hz
 * wide, so a harmonic spacing of 100-200 Hz is a ripple of 2.7-5 bins; 9 taps (7
 * non-zero) keep under 7% of a 4.6-bin ripple and almost none of a 2.7-bin one, while
 * formants (several hundred Hz wide) pass.
 */
export const ENVELOPE_TAPS = 9;

const envelopeMatrices = new Map<number, Float32Array>();

/**
 * [M, M] smoothing matrix W, column i holding bin i's weights: envelope[i] = Σ_j x[j] W[j, i].
 * A Hann window renormalised where it overhangs the edges, so a constant stays constant.
 */
export function envelopeMatrix(mels: number): Float32Array {
  let w = envelopeMatrices.get(mels);
  if (w) return w;
  w = new Float32Array(mels * mels);
  const half = (ENVELOPE_TAPS - 1) / 2;
  const tap = (k: number): number => 0.5 + 0.5 * Math.cos((Math.PI * k) / (half + 1));
  for (let i = 0; i < mels; i++) {
    let sum = 0;
    for (let k = -half; k <= half; k++) {
      const j = i + k;
      if (j >= 0 && j < mels) sum += tap(k);
    }
    for (let k = -half; k <= half; k++) {
      const j = i + k;
      if (j >= 0 && j < mels) w[j * mels + i] = tap(k) / sum;
    }
  }
  envelopeMatrices.set(mels, w);
  return w;
}

/** The spectral envelope of a log-mel [nMels, T]: every frame smoothed across bins. */
export function spectralEnvelope(logMel: Spectrogram): Spectrogram {
  const { rows, frames, data } = logMel;
  const w = envelopeMatrix(rows);
  const half = (ENVELOPE_TAPS - 1) / 2;
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) {
    for (let j = Math.max(0, i - half); j <= Math.min(rows - 1, i + half); j++) {
      const weight = w[j * rows + i];
      const src = j * frames;
      const dst = i * frames;
      for (let t = 0; t < frames; t++) out[dst + t] += weight * data[src + t];
    }
  }
  return { data: out, rows, frames };
}

/** The same smoothing of one frame (a column of nMels values), into `out`. */
export function frameEnvelope(frame: ArrayLike<number>, out: Float64Array): Float64Array {
  const rows = out.length;
  const w = envelopeMatrix(rows);
  const half = (ENVELOPE_TAPS - 1) / 2;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(rows - 1, i + half); j++) sum += w[j * rows + i] * frame[j];
    out[i] = sum;
  }
  return out;
}
