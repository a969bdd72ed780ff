import * as tf from '@tensorflow/tfjs';
import type { Spectrogram } from '../audio/config.js';
import { VoiceswapError } from '../errors.js';
import { generatorForward } from '../model/generator.js';
import { denormalizeLogMel, normalizedSilence, normalizeLogMel, type SpeakerStats } from '../model/normalization.js';
import { directionStats, type Direction, type VoiceModel } from './voice-model-core.js';

export interface ChunkOptions {
  /** Longest stretch converted in one pass; longer inputs go in overlapping chunks. */
  maxChunkFrames: number;
  /** Frames shared by neighbouring chunks, cross-faded linearly. */
  overlapFrames: number;
}

/** About 24 s per pass (a few hundred MB at the small preset), 0.75 s cross-fades. */
export const DEFAULT_CHUNKING: Readonly<ChunkOptions> = Object.freeze({ maxChunkFrames: 2048, overlapFrames: 64 });

/**
 * Convert a log-mel [nMels, T] of the source speaker into the target speaker's log-mel:
 * normalise with the SOURCE speaker's statistics, run the generator, de-normalise with the
 * TARGET speaker's statistics. Any length: the frame count is padded to what the network
 * needs (a multiple of 4) and trimmed after; long inputs are converted in chunks.
 */
export function convertLogMel(
  model: VoiceModel,
  logMel: Spectrogram,
  direction: Direction,
  chunking: ChunkOptions = DEFAULT_CHUNKING,
  sourceStats: SpeakerStats = directionStats(model, direction).source,
): Spectrogram {
  const net = model.generators[direction];
  if (!net) throw new VoiceswapError(`${model.dir}: model was loaded without the ${direction} generator`);
  assertMelBins(model, logMel);
  const source = sourceStats;
  const { target } = directionStats(model, direction);
  const normalized = normalizeLogMel(logMel, source);
  // Padding is digital silence, in the source's normalised units (as in training crops).
  const padValue = normalizedSilence(source, model.info.features.logFloor);
  const skipMap = model.transport?.[direction];
  const out = convertInChunks(normalized, chunking, (chunk) => runGenerator(chunk, padValue, (x) => generatorForward(net, x, model.config.inputSkip, skipMap)));
  // NaN would otherwise surface in the vocoder as an error that names neither file nor cause.
  if (!out.data.every(Number.isFinite)) throw new VoiceswapError(`${model.dir}: the ${direction} generator gives NaN or infinite values: the model is damaged`);
  return denormalizeLogMel(out, target);
}

/**
 * The trivial baseline every trained model must beat: the source log-mel normalised with
 * the source speaker's statistics and de-normalised with the target's, no network.
 */
export function statsOnlyLogMel(
  model: VoiceModel,
  logMel: Spectrogram,
  direction: Direction,
  sourceStats: SpeakerStats = directionStats(model, direction).source,
): Spectrogram {
  assertMelBins(model, logMel);
  return denormalizeLogMel(normalizeLogMel(logMel, sourceStats), directionStats(model, direction).target);
}

function assertMelBins(model: VoiceModel, logMel: Spectrogram): void {
  if (logMel.rows !== model.config.nMels) {
    throw new VoiceswapError(`log-mel has ${logMel.rows} bins; the model expects ${model.config.nMels}`);
  }
}

/**
 * Frames the generator is given at least: training's default crop (0.74 s). Its instance
 * norms take their statistics over time, so a few frames alone (a 20 ms input has 2) give
 * an output that ignores the input: near-full-scale noise.
 */
export const MIN_GENERATOR_FRAMES = 64;

/** One pass of the generator over a normalised [nMels, T]: pad T with silence to a multiple of 4 and at least MIN_GENERATOR_FRAMES, trim after. */
function runGenerator(spec: Spectrogram, padValue: Float32Array, forward: (x: tf.Tensor3D) => tf.Tensor3D): Spectrogram {
  const { rows, frames } = spec;
  const padded = Math.max(MIN_GENERATOR_FRAMES, Math.ceil(frames / 4) * 4);
  const input = new Float32Array(rows * padded);
  for (let r = 0; r < rows; r++) {
    input.set(spec.data.subarray(r * frames, (r + 1) * frames), r * padded);
    input.fill(padValue[r], r * padded + frames, (r + 1) * padded);
  }
  const result = tf.tidy(() => forward(tf.tensor3d(input, [1, rows, padded])));
  const values = result.dataSync() as Float32Array;
  result.dispose();
  const data = new Float32Array(rows * frames);
  for (let r = 0; r < rows; r++) data.set(values.subarray(r * padded, r * padded + frames), r * frames);
  return { data, rows, frames };
}

/**
 * Apply `convert` to overlapping windows of at most maxChunkFrames and cross-fade the
 * overlaps linearly, so memory stays bounded and seams are smoothed over many frames.
 * Inputs that fit in one window are converted in one pass.
 */
export function convertInChunks(spec: Spectrogram, options: ChunkOptions, convert: (chunk: Spectrogram) => Spectrogram): Spectrogram {
  const { rows, frames } = spec;
  const { maxChunkFrames: size, overlapFrames: overlap } = options;
  if (frames <= size) return convert(spec);
  if (overlap < 0 || overlap >= size / 2) throw new Error(`overlap ${overlap} must be in [0, ${size / 2})`);
  const out = new Float32Array(rows * frames);
  const weight = new Float32Array(frames);
  const step = size - overlap;
  for (let start = 0; ; start += step) {
    const begin = Math.min(start, frames - size); // the last chunk is aligned to the end
    const chunk = convert(sliceFrames(spec, begin, begin + size));
    for (let t = 0; t < size; t++) {
      // Ramp up over the first `overlap` frames and down over the last, except at the ends.
      let w = 1;
      if (begin > 0 && t < overlap) w = (t + 0.5) / overlap;
      if (begin + size < frames && t >= size - overlap) w = Math.min(w, (size - t - 0.5) / overlap);
      weight[begin + t] += w;
      for (let r = 0; r < rows; r++) out[r * frames + begin + t] += w * chunk.data[r * size + t];
    }
    if (begin + size >= frames) break;
  }
  for (let r = 0; r < rows; r++) for (let t = 0; t < frames; t++) out[r * frames + t] /= weight[t];
  return { data: out, rows, frames };
}

function sliceFrames(spec: Spectrogram, from: number, to: number): Spectrogram {
  const frames = to - from;
  const data = new Float32Array(spec.rows * frames);
  for (let r = 0; r < spec.rows; r++) data.set(spec.data.subarray(r * spec.frames + from, r * spec.frames + to), r * frames);
  return { data, rows: spec.rows, frames };
}
