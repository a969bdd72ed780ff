import { resample } from './resample.js';
import { readWav, type DecodedWav } from './wav.js';

/** What the input file was, before the mixdown and resampling. */
export type AudioSourceInfo = Omit<DecodedWav, 'samples'>;

export interface LoadedAudio {
  /** Mono samples at `sampleRate`. */
  samples: Float32Array;
  /** The requested (model) sample rate. */
  sampleRate: number;
  /** The file's own rate, channel count, encoding and duration. */
  source: AudioSourceInfo;
}

/**
 * Read a WAV file, mix it down to mono and resample it to `sampleRate` (the model's rate):
 * the first step of every command. Bad files throw FileError (see readWav).
 */
export function loadAudio(path: string, sampleRate: number): LoadedAudio {
  const { samples, ...source } = readWav(path);
  return { samples: resample(samples, source.sampleRate, sampleRate), sampleRate, source };
}
