/**
 * The statistics a conversion normalises its input envelope with before the generator.
 *
 * The generator was trained on the source speaker normalised with that speaker's per-bin
 * mean and deviation. Another voice (yours, a different microphone) normalised with them
 * arrives off-centre in every bin, and the network maps it badly. Normalising the input
 * with its own statistics fixes that, but one sentence's statistics are a noisy estimate
 * of a voice's: they hold what the sentence says as much as who says it.
 *
 * So the input voice's statistics are pooled over every recording of it there is (all the
 * files of one `voiceswap convert` call) and weighed against the source speaker's like a
 * prior worth INPUT_STATS_PRIOR_SECONDS of speech: weight n / (n + prior) on the input's,
 * n its non-silent frames (per bin, see `inputStatsWeight`). A folder of the voice is
 * normalised almost wholly by its own statistics; a lone short sentence about half.
 */
import type { FeatureConfig, Spectrogram } from '../audio/config.js';
import { spectralEnvelope } from '../audio/envelope.js';
import { computeSpeakerStats, DEFAULT_STATS_OPTIONS, frameLevels, voicedFrameMask, type SpeakerStats } from '../model/normalization.js';
import type { GeneratorDomain } from '../model/presets.js';

/** Envelope statistics of the voice being converted, and how many non-silent frames they come from. */
export interface InputVoiceStats extends SpeakerStats {
  frames: number;
}

/**
 * Which statistics the input is normalised with:
 * - 'own': the utterance's own, weighed against the source speaker's (the library default);
 * - InputVoiceStats: those, pooled over several recordings of the same voice (`inputVoiceStats`), weighed the same way;
 * - 'speaker': the source speaker's alone, as the generator was trained (for comparison).
 */
export type InputStatsChoice = 'own' | 'speaker' | InputVoiceStats;

/**
 * Speech the source speaker's statistics are worth against the input's own: about one
 * sentence. On samples/dev with the shipped model, each sentence normalised by its own
 * statistics alone cost alice -> bob 1.1 dB of MCD (5.34 -> 6.48 dB); weighed like this,
 * 0.2 dB (5.55 dB), while a voice the model never heard still gets half to three quarters
 * of the MCD gain from one sentence (awb -> bob 7.13 -> 6.04 dB), and all of it when its
 * recordings are pooled (5.34 dB; alice's pooled: 5.33 dB).
 */
export const INPUT_STATS_PRIOR_SECONDS = 3.5;

/**
 * Statistics of one voice over its utterances' log-mels [nMels, T], of what the model's
 * generators take (their spectral envelopes, or the log-mels themselves for models made
 * before the envelope domain); null when they are all silent.
 */
export function inputVoiceStats(logMels: readonly Spectrogram[], domain: GeneratorDomain = 'envelope'): InputVoiceStats | null {
  return generatorInputStats(domain === 'envelope' ? logMels.map(spectralEnvelope) : logMels);
}

/** The same over what the generators take, already computed (envelopes, or log-mels for log-mel models). */
export function generatorInputStats(inputs: readonly Spectrogram[]): InputVoiceStats | null {
  // A recording whose frames are all alike (digital silence) says nothing about a voice.
  const voiced = inputs.filter((x) => {
    const levels = frameLevels(x);
    return levels.reduce((m, v) => Math.max(m, v), -Infinity) - levels.reduce((m, v) => Math.min(m, v), Infinity) > 1e-6;
  });
  if (voiced.length === 0) return null;
  let frames = 0;
  for (const x of voiced) for (const v of voicedFrameMask(x, DEFAULT_STATS_OPTIONS.silenceDb)) frames += v;
  if (frames < 2) return null;
  return { ...computeSpeakerStats(voiced), frames };
}

/** INPUT_STATS_PRIOR_SECONDS in frames of a feature configuration. */
export function priorFrames(features: Readonly<FeatureConfig>): number {
  return (INPUT_STATS_PRIOR_SECONDS * features.sampleRate) / features.hopLength;
}

/**
 * The input's weight in one bin: n / (n + prior · (input std / speaker std)²). A mean over
 * n frames is uncertain by std²/n, so a bin where the input varies as much as the speaker
 * weighs n / (n + prior), and one where it hardly varies is trusted whole: the empty band
 * above 4 kHz of a telephone recording is normalised to zero, not to the speaker's units
 * (where it sits far below anything the generator was trained on).
 */
export function inputStatsWeight(frames: number, inputStd: number, speakerStd: number, prior: number): number {
  if (!(frames > 0)) return 0;
  return frames / (frames + prior * (inputStd / speakerStd) ** 2);
}

/** Per bin, the speaker's mean and deviation moved towards the input's by the bin's `inputStatsWeight`. */
export function blendStats(speaker: SpeakerStats, input: InputVoiceStats, prior: number): SpeakerStats {
  const weight = Float32Array.from(speaker.std, (s, i) => inputStatsWeight(input.frames, input.std[i], s, prior));
  const mix = (a: Float32Array, b: Float32Array): Float32Array => Float32Array.from(a, (v, i) => (1 - weight[i]) * v + weight[i] * b[i]);
  return { mean: mix(speaker.mean, input.mean), std: mix(speaker.std, input.std) };
}

/**
 * Spread (natural-log units) under which an input bin counts as empty: nothing was recorded
 * there, e.g. above 4 kHz in a telephone or 8 kHz recording (0.001 there; 0.9-2 where a
 * voice is).
 */
export const EMPTY_BIN_SPREAD = 0.01;

/** Spread from which an input bin counts as recorded (the band edge of a telephone recording falls between). */
export const RECORDED_BIN_SPREAD = 0.3;

/** How many of the highest recorded bins set the level of the empty band above them. */
export const GUIDE_BINS = 4;

/**
 * The bands the input does not have (bins whose spread in `stats` is under
 * EMPTY_BIN_SPREAD), in `converted` (an envelope [nMels, T], changed in place): in frames
 * that are silent in `inputLogMel` they keep `input`'s own (empty) level; in speech, the
 * generator's fill moves up and down with the level of the input's GUIDE_BINS highest
 * recorded bins about its mean over the speech frames (never below the input's own level).
 * With fewer recorded bins than that, only the pauses are changed.
 *
 * Why: normalised with its own statistics (blendStats), an empty bin is 0 in every frame,
 * the middle of the speaker's range, and the generator fills it with the target speaker's
 * usual level in every frame alike: a steady hiss band, in pauses as much as in speech, with
 * nothing of the sounds (a fricative, a closure) that move a real voice's top band. Measured
 * with the shipped model on 30 real telephone prompts and on kal (an 8 kHz voice, with bob
 * and alice saying the same sentences), see the README ("Input statistics").
 */
export function fillEmptyBands(converted: Spectrogram, input: Spectrogram, inputLogMel: Spectrogram, stats: SpeakerStats): Spectrogram {
  const { rows, frames } = converted;
  if (input.rows !== rows || input.frames !== frames || inputLogMel.frames !== frames || stats.std.length !== rows) {
    throw new Error(`fillEmptyBands: shapes differ (${rows}x${frames}, ${input.rows}x${input.frames}, ${inputLogMel.frames} frames, ${stats.std.length} bins)`);
  }
  const voice = voicedFrameMask(inputLogMel, DEFAULT_STATS_OPTIONS.silenceDb);
  const guide = guideLevels(input, stats, voice);
  for (let r = 0; r < rows; r++) {
    if (!(stats.std[r] < EMPTY_BIN_SPREAD)) continue;
    for (let t = 0; t < frames; t++) {
      const i = r * frames + t;
      if (!voice[t]) converted.data[i] = input.data[i];
      else if (guide) converted.data[i] = Math.max(input.data[i], converted.data[i] + guide[t]);
    }
  }
  return converted;
}

/**
 * Per frame, the mean level of the GUIDE_BINS highest recorded bins of `input` less its
 * mean over the speech frames (`voice`); null when the input has fewer recorded bins.
 */
function guideLevels(input: Spectrogram, stats: SpeakerStats, voice: Uint8Array): Float64Array | null {
  const { rows, frames, data } = input;
  const recorded: number[] = [];
  for (let r = rows - 1; r >= 0 && recorded.length < GUIDE_BINS; r--) if (stats.std[r] >= RECORDED_BIN_SPREAD) recorded.push(r);
  if (recorded.length < GUIDE_BINS) return null;
  const level = new Float64Array(frames);
  for (const r of recorded) for (let t = 0; t < frames; t++) level[t] += data[r * frames + t] / GUIDE_BINS;
  let sum = 0;
  let n = 0;
  for (let t = 0; t < frames; t++) {
    if (!voice[t]) continue;
    sum += level[t];
    n++;
  }
  const mean = n > 0 ? sum / n : 0;
  return level.map((l) => l - mean);
}
