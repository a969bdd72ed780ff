import { readWav, writeWav, type WavEncoding } from '../audio/wav.js';
import { convertAudio, type ConvertedAudio, type ConvertOptions } from './convert-audio.js';
import type { VoiceModel } from './voice-model-core.js';

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
