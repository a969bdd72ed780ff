import type { Spectrogram } from '../audio/config.js';
import { logMelSpectrogram } from '../audio/features.js';
import { logMelToAudio } from '../audio/griffinlim.js';
import { resample } from '../audio/resample.js';
import { readWav, writeWav, type WavEncoding } from '../audio/wav.js';
import { trackPitch } from '../audio/pitch.js';
import { convertFeatures, defaultExcitation, type FeatureConversionOptions } from './convert-features.js';
import type { Direction, VoiceModel } from './voice-model.js';

export interface ConvertOptions extends FeatureConversionOptions {
  direction?: Direction;
  /** Griffin-Lim iterations (default: the vocoder's default). */
  iterations?: number;
  /** Resample the output back to the input's sample rate (default: the model's rate). */
  keepRate?: boolean;
  seed?: number;
}

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
  const x = resample(samples, sampleRate, features.sampleRate);
  const input = logMelSpectrogram(x, features);
  const direction = options.direction ?? 'a2b';
  const needsPitch = (options.excitation ?? defaultExcitation(model)) === 'rebuilt';
  const pitch = needsPitch ? trackPitch(x, features) : null;
  const converted = convertFeatures(model, input, pitch, direction, options);
  const output = converted.logMel;
  let y = logMelToAudio(output, { cfg: features, iterations: options.iterations, seed: options.seed, length: x.length, harmonics: converted.harmonics });
  let rate = features.sampleRate;
  if (options.keepRate && sampleRate !== rate) {
    y = resample(y, rate, sampleRate);
    rate = sampleRate;
  }
  return { samples: y, sampleRate: rate, input, output };
}

/** Read any WAV the front end reads, convert it, write the result atomically (never over the input). */
export function convertFile(
  model: VoiceModel,
  inputPath: string,
  outputPath: string,
  options: ConvertOptions & { encoding?: WavEncoding } = {},
): ConvertedAudio {
  const wav = readWav(inputPath);
  const converted = convertAudio(model, wav.samples, wav.sampleRate, options);
  writeWav(outputPath, converted.samples, converted.sampleRate, { encoding: options.encoding, protect: [inputPath] });
  return converted;
}
