import type { Spectrogram } from '../audio/config.js';
import { logMelSpectrogram } from '../audio/features.js';
import { logMelToAudio } from '../audio/griffinlim.js';
import type { HarmonicLock } from '../audio/harmonic-lock.js';
import { resample } from '../audio/resample.js';
import { trackPitch } from '../audio/pitch.js';
import { convertFeatures, defaultExcitation, type FeatureConversionOptions } from './convert-features.js';
import type { Direction, VoiceModel } from './voice-model-core.js';

export interface ConvertOptions extends FeatureConversionOptions {
  direction?: Direction;
  /** Griffin-Lim iterations (default: the vocoder's default). */
  iterations?: number;
  /** Resample the output back to the input's sample rate (default: the model's rate). */
  keepRate?: boolean;
  seed?: number;
  /** The vocoder's harmonic phase lock (default DEFAULT_HARMONIC_LOCK; null: Griffin-Lim sets every phase, as before the lock). */
  harmonicLock?: Readonly<HarmonicLock> | null;
  /** The highest sample of the output (default OUTPUT_PEAK, see limitPeak; null: the vocoder's output as it is, as before the limit). */
  peakLimit?: number | null;
  /**
   * Called as each stage starts, with the share of the work done before it (0..1,
   * measured on a 3.8 s clip): for a progress bar. The stages run synchronously.
   */
  progress?: (stage: ConvertStage, done: number) => void;
}

export type ConvertStage = 'features' | 'pitch' | 'generator' | 'vocoder';

/** Share of a conversion's time spent before each stage starts (rough, for progress bars). */
const STAGE_START: Readonly<Record<ConvertStage, number>> = Object.freeze({ features: 0, pitch: 0.05, generator: 0.15, vocoder: 0.45 });

export interface ConvertedAudio {
  samples: Float32Array;
  sampleRate: number;
  /** Log-mels before and after conversion (for pictures). */
  input: Spectrogram;
  output: Spectrogram;
}

/**
 * Convert mono samples at `sampleRate` with the model: resample to the model rate,
 * log-mel and pitch track, envelope through the generator (source-normalised,
 * target-denormalised), excitation rebuilt at the mapped pitch, Griffin-Lim. The output
 * has the input's duration.
 */
export function convertAudio(model: VoiceModel, samples: Float32Array, sampleRate: number, options: ConvertOptions = {}): ConvertedAudio {
  const features = model.info.features;
  const progress = (stage: ConvertStage): void => options.progress?.(stage, STAGE_START[stage]);
  progress('features');
  const x = resample(samples, sampleRate, features.sampleRate);
  const input = logMelSpectrogram(x, features);
  const direction = options.direction ?? 'a2b';
  const needsPitch = (options.excitation ?? defaultExcitation(model)) === 'rebuilt';
  if (needsPitch) progress('pitch');
  const pitch = needsPitch ? trackPitch(x, features) : null;
  progress('generator');
  const converted = convertFeatures(model, input, pitch, direction, options);
  const output = converted.logMel;
  progress('vocoder');
  let y = logMelToAudio(output, { cfg: features, iterations: options.iterations, seed: options.seed, length: x.length, harmonics: converted.harmonics, harmonicLock: options.harmonicLock });
  let rate = features.sampleRate;
  if (options.keepRate && sampleRate !== rate) {
    y = resample(y, rate, sampleRate);
    rate = sampleRate;
  }
  const peak = options.peakLimit === undefined ? OUTPUT_PEAK : options.peakLimit;
  return { samples: peak === null ? y : limitPeak(y, peak), sampleRate: rate, input, output };
}

/**
 * The highest sample a conversion gives: a louder one scales the whole output down to it.
 * Harmonics locked in phase add up to a peakier waveform than the input's (alice's dev
 * sentences, peaks 0.89, came out of alice -> bob at up to 2.3), and a WAV clips at full scale.
 */
export const OUTPUT_PEAK = 0.98;

/** y scaled so that its largest magnitude is at most `limit` (in place; unchanged when it already is). */
export function limitPeak(y: Float32Array, limit = OUTPUT_PEAK): Float32Array {
  let peak = 0;
  for (let i = 0; i < y.length; i++) peak = Math.max(peak, Math.abs(y[i]));
  if (peak <= limit) return y;
  const gain = limit / peak;
  for (let i = 0; i < y.length; i++) y[i] *= gain;
  return y;
}
