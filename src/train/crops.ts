import type { Spectrogram } from '../audio/config.js';
import type { Random } from '../util/random.js';

/**
 * Training examples: random fixed-length crops of random utterances, already normalised.
 * An utterance shorter than the crop is placed at a random offset inside it and the rest
 * is filled with `padValue` per bin (the normalised log floor, i.e. digital silence), so
 * short clips still train instead of being dropped.
 */
export interface CropBatch {
  /** [batch, nMels, frames], row-major. */
  data: Float32Array;
  batch: number;
  nMels: number;
  frames: number;
}

export function sampleCrops(
  utterances: Spectrogram[],
  padValue: Float32Array,
  batch: number,
  frames: number,
  rng: Random,
): CropBatch {
  if (utterances.length === 0) throw new Error('sampleCrops: no utterances');
  const nMels = utterances[0].rows;
  const data = new Float32Array(batch * nMels * frames);
  for (let b = 0; b < batch; b++) {
    const u = utterances[rng.int(utterances.length)];
    const base = b * nMels * frames;
    if (u.frames >= frames) {
      const start = rng.int(u.frames - frames + 1);
      for (let r = 0; r < nMels; r++) {
        data.set(u.data.subarray(r * u.frames + start, r * u.frames + start + frames), base + r * frames);
      }
    } else {
      const offset = rng.int(frames - u.frames + 1);
      for (let r = 0; r < nMels; r++) {
        const row = base + r * frames;
        data.fill(padValue[r], row, row + frames);
        data.set(u.data.subarray(r * u.frames, (r + 1) * u.frames), row + offset);
      }
    }
  }
  return { data, batch, nMels, frames };
}
