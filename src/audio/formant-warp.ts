/**
 * Formant warping: a spectral envelope moved along frequency by one factor, as a longer or
 * shorter vocal tract moves every formant together. The envelope at frequency f after a
 * warp by r is the input's at f / r, so r < 1 lowers the formants (towards a larger
 * speaker) and r > 1 raises them.
 *
 * Why: the per-bin statistics and the generator move an envelope's level bin by bin but
 * hardly along frequency, so alice -> bob kept alice's formants under bob's pitch, and
 * the recogniser heard neither speaker (README, "Formants follow the pitch").
 */
import { VoiceswapError } from '../errors.js';
import type { FeatureConfig, Spectrogram } from './config.js';
import { hzToMel, melFrequencies } from './melscale.js';

/**
 * How far formants move with the pitch between speakers. Across the sexes they move
 * together: in Peterson & Barney's (1952) averages of adult speakers, women's F1-F3 lie about
 * 16% above men's while their F0 is 1.69 times men's (223 vs 132 Hz). Within one sex they
 * hardly do: a man's F0 says little about his vocal tract, and speakers of the same sex
 * differ in F0 by several semitones. So pitch moves up to SAME_SEX_PITCH_SPAN (ln F0, about
 * 3.5 semitones) keep the formants, and beyond it the formant ratio grows so as to reach
 * Peterson & Barney's 1.16 at their 1.69 pitch ratio.
 */
export const SAME_SEX_PITCH_SPAN = 0.2;
const BETWEEN_SEXES = { pitch: Math.log(223 / 132), formants: Math.log(1.16) };
/** ln formant ratio per ln pitch ratio beyond SAME_SEX_PITCH_SPAN (0.46). */
export const FORMANT_PITCH_SLOPE = BETWEEN_SEXES.formants / (BETWEEN_SEXES.pitch - SAME_SEX_PITCH_SPAN);

/** Warps beyond this factor either way are refused: a vocal tract does not change length by half. */
export const MAX_FORMANT_RATIO = 2;

/**
 * The formant ratio for a move from ln-F0 mean `fromLogF0` to `toLogF0`: 1 within
 * SAME_SEX_PITCH_SPAN, then exp(FORMANT_PITCH_SLOPE · the ln-F0 move beyond it). alice
 * (172 Hz) -> bob (101 Hz): 0.86; a 130 Hz man -> bob: 0.99.
 */
export function formantRatioForPitch(fromLogF0: number, toLogF0: number): number {
  const move = toLogF0 - fromLogF0;
  const beyond = Math.max(0, Math.abs(move) - SAME_SEX_PITCH_SPAN);
  const ratio = Math.exp(Math.sign(move) * FORMANT_PITCH_SLOPE * beyond);
  return Math.min(MAX_FORMANT_RATIO, Math.max(1 / MAX_FORMANT_RATIO, ratio));
}

/**
 * For each mel bin, the two input bins whose interpolation gives the warped value: the
 * input at the bin's centre frequency / ratio, linear on the mel axis between bin centres,
 * held at the edge bins beyond the first and last centre.
 */
interface WarpTaps {
  lower: Int32Array;
  weight: Float32Array;
}

function warpTaps(ratio: number, features: Readonly<FeatureConfig>): WarpTaps {
  if (!(ratio >= 1 / MAX_FORMANT_RATIO && ratio <= MAX_FORMANT_RATIO)) {
    throw new VoiceswapError(`formant ratio must be between ${1 / MAX_FORMANT_RATIO} and ${MAX_FORMANT_RATIO}, got ${ratio}`);
  }
  // Not cached: each utterance has its own ratio, and 80 bins take microseconds.
  const { nMels, fMin, fMax } = features;
  // librosa's mel bands: nMels triangles between nMels + 2 mel-spaced edges; a band's centre is its middle edge.
  const centres = melFrequencies(nMels + 2, fMin, fMax).subarray(1, nMels + 1);
  const centreMels = Array.from(centres, hzToMel);
  const lower = new Int32Array(nMels);
  const weight = new Float32Array(nMels);
  let k = 0; // source frequencies rise with the bin, so the search goes on where the last one stopped
  for (let i = 0; i < nMels; i++) {
    const mel = hzToMel(centres[i] / ratio);
    while (k < nMels - 2 && centreMels[k + 1] < mel) k++;
    lower[i] = Math.min(k, nMels - 2);
    weight[i] = Math.min(1, Math.max(0, (mel - centreMels[lower[i]]) / (centreMels[lower[i] + 1] - centreMels[lower[i]])));
  }
  return { lower, weight };
}

/** A log-mel envelope [nMels, T] with its formants moved by `ratio` (1: a copy). */
export function warpEnvelope(envelope: Spectrogram, ratio: number, features: Readonly<FeatureConfig>): Spectrogram {
  const { rows, frames, data } = envelope;
  if (rows !== features.nMels) throw new Error(`warpEnvelope: ${rows} bins, the features have ${features.nMels}`);
  if (ratio === 1) return { rows, frames, data: Float32Array.from(data) };
  const { lower, weight } = warpTaps(ratio, features);
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) {
    const a = lower[i] * frames;
    const b = a + frames;
    const w = weight[i];
    const dst = i * frames;
    for (let t = 0; t < frames; t++) out[dst + t] = (1 - w) * data[a + t] + w * data[b + t];
  }
  return { rows, frames, data: out };
}

/** The same warp of one value per mel bin (a speaker's per-bin mean or spread). */
export function warpBins(values: Float32Array, ratio: number, features: Readonly<FeatureConfig>): Float32Array {
  return warpEnvelope({ rows: values.length, frames: 1, data: values }, ratio, features).data;
}
