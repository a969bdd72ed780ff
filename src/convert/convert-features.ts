/**
 * One utterance's features converted to the target speaker: the spectral envelope by the
 * generator, the excitation by the pitch (see audio/excitation.ts). What the vocoder
 * needs comes out: the converted log-mel and, when the excitation was rebuilt, the
 * converted pitch for its harmonic comb.
 */
import type { FeatureConfig, Spectrogram } from '../audio/config.js';
import { spectralEnvelope } from '../audio/envelope.js';
import { formantRatioForPitch, warpBins, warpEnvelope } from '../audio/formant-warp.js';
import { rebuildExcitation } from '../audio/excitation.js';
import { fillPitch, mapF0, pitchStats, type F0Track, type PitchStats } from '../audio/pitch.js';
import { VoiceswapError } from '../errors.js';
import type { SpeakerStats } from '../model/normalization.js';
import { blendStats, generatorInputStats, priorFrames, fillEmptyBands, type InputStatsChoice, type InputVoiceStats } from './input-stats.js';
import { convertLogMel, DEFAULT_CHUNKING, statsOnlyLogMel, type ChunkOptions } from './convert-logmel.js';
import { voicingProbability } from '../model/voicing.js';
import type { ExcitationMode, VoicingMode } from './excitation-mode.js';
import { directionPitch, directionStats, directionVoicing, type Direction, type VoiceModel } from './voice-model-core.js';

export { EXCITATION_MODES, VOICING_MODES, type ExcitationMode, type VoicingMode } from './excitation-mode.js';

export interface FeatureConversionOptions {
  /** Default: 'rebuilt' for a model with pitch statistics, 'network' for older ones. */
  excitation?: ExcitationMode;
  /** Default: 'target' for a model with voicing classifiers, 'source' for older ones; rebuilt excitation only. */
  voicing?: VoicingMode;
  /** Factor on the converted F0 on top of the mapping (2^(semitones/12)); rebuilt excitation only. */
  f0Ratio?: number;
  /**
   * Factor the input's formants are moved by before the generator (audio/formant-warp.ts);
   * 1 leaves them. Default: `formantRatioForPitch` from the input's pitch to the target's
   * with the rebuilt excitation, 1 otherwise.
   */
  formantRatio?: number;
  /** Skip the generator: only the speakers' statistics are swapped (the baseline a model must beat). */
  statsOnly?: boolean;
  /**
   * The statistics the input is normalised with before the generator (convert/input-stats.ts):
   * 'own' (default) its own weighed against the source speaker's by its length, pooled
   * statistics of its voice (`inputVoiceStats`) weighed the same way, or 'speaker' the source
   * speaker's alone.
   */
  inputStats?: InputStatsChoice;
  chunking?: ChunkOptions;
}

export interface ConvertedFeatures {
  logMel: Spectrogram;
  /** The converted pitch and its harmonic weight per frame, for the vocoder (rebuilt excitation only). */
  harmonics?: { f0Hz: Float64Array; weight: Float64Array };
}

/** Voiced frames an input needs before its own ln-F0 mean is trusted over the speaker's (about 0.6 s). */
export const MIN_SELF_PITCH_FRAMES = 50;

export function defaultExcitation(model: VoiceModel): ExcitationMode {
  return model.pitch ? 'rebuilt' : 'network';
}

export function defaultVoicing(model: VoiceModel): VoicingMode {
  return model.voicing ? 'target' : 'source';
}

/**
 * Convert an utterance's log-mel [nMels, T] (and its pitch track, needed for the rebuilt
 * excitation) from the direction's source speaker to its target.
 */
export function convertFeatures(
  model: VoiceModel,
  logMel: Spectrogram,
  pitch: F0Track | null,
  direction: Direction,
  options: FeatureConversionOptions = {},
): ConvertedFeatures {
  const mode = options.excitation ?? defaultExcitation(model);
  const ratio = options.f0Ratio ?? 1;
  if (!(ratio > 0 && Number.isFinite(ratio))) throw new VoiceswapError(`F0 ratio must be a positive number, got ${ratio}`);
  if (ratio !== 1 && mode !== 'rebuilt') throw new VoiceswapError(`a pitch shift needs the rebuilt excitation, not '${mode}'`);
  // Its range is checked where the warp is made (audio/formant-warp.ts).
  const manualFormants = options.formantRatio;
  if (manualFormants !== undefined && manualFormants !== 1 && mode === 'network') throw new VoiceswapError("a formant shift needs the rebuilt or source excitation, not 'network'");
  const voicing = options.voicing ?? defaultVoicing(model);
  if (options.voicing === 'target') {
    if (mode !== 'rebuilt') throw new VoiceswapError(`the target speaker's voicing needs the rebuilt excitation, not '${mode}'`);
    if (!model.voicing) throw new VoiceswapError(`${model.dir}: this model has no voicing classifiers (made before them); use --voicing source, or retrain`);
  }
  if (mode === 'network' && model.config.domain === 'envelope') {
    throw new VoiceswapError(`${model.dir}: this model's generators map spectral envelopes only; use the rebuilt or source excitation`);
  }
  const features = model.info.features;
  const choice = options.inputStats ?? 'own';
  /** The input's statistics; 'own' ones from `unwarped`, the input as the generator takes it (envelope, or log-mel for log-mel models) before the warp. */
  const inputStatsOf = (unwarped: Spectrogram): InputVoiceStats | null => {
    const input = choice === 'speaker' ? null : choice === 'own' ? generatorInputStats([unwarped]) : choice;
    if (input && input.mean.length !== logMel.rows) throw new VoiceswapError(`input statistics have ${input.mean.length} bins, the model ${logMel.rows}`);
    return input;
  };
  /** `spec` warped by `formantRatio`, through the generator; `input` are the input's statistics warped the same way. */
  const generate = (spec: Spectrogram, formantRatio: number, input: InputVoiceStats | null): Spectrogram => {
    // The input was warped, so the statistics are too: each bin is normalised by what it now holds.
    const speaker = warpStats(directionStats(model, direction).source, formantRatio, features);
    const source = input ? blendStats(speaker, input, priorFrames(features)) : speaker;
    return options.statsOnly ? statsOnlyLogMel(model, spec, direction, source) : convertLogMel(model, spec, direction, options.chunking ?? DEFAULT_CHUNKING, source);
  };
  // Network excitation is refused above for envelope models: the generator takes the log-mel.
  if (mode === 'network') return { logMel: generate(logMel, 1, inputStatsOf(logMel)) };

  const stats = directionPitch(model, direction);
  if (mode === 'rebuilt') {
    if (!stats) throw new VoiceswapError(`${model.dir}: this model has no pitch statistics (made before pitch tracking); use --excitation network, or retrain`);
    if (!pitch) throw new Error('convertFeatures: the rebuilt excitation needs the input pitch track');
  }
  const reference = mode === 'rebuilt' && stats && pitch ? inputPitchReference(pitch, stats.source) : null;
  const formantRatio = manualFormants ?? (reference && stats ? formantRatioForPitch(reference.logMean, stats.target.logMean) : 1);
  const envelopeIn = spectralEnvelope(logMel);
  const fineIn = subtractSpectrograms(logMel, envelopeIn);
  const envelopeWarped = warpEnvelope(envelopeIn, formantRatio, features);
  const envelopeModel = model.config.domain === 'envelope';
  const unwarpedInput = inputStatsOf(envelopeModel ? envelopeIn : logMel);
  const input = unwarpedInput && { ...warpStats(unwarpedInput, formantRatio, features), frames: unwarpedInput.frames };
  // A whole-log-mel generator gets the warped envelope under the input's own harmonics.
  const generated = envelopeModel ? generate(envelopeWarped, formantRatio, input) : spectralEnvelope(generate(addSpectrograms(envelopeWarped, fineIn), formantRatio, input));
  // Only input statistics trust an empty band whole (blendStats); the speaker's keep it far below the speaker's range.
  const envelopeOut = input ? fillEmptyBands(generated, envelopeWarped, logMel, input) : generated;
  if (mode === 'source') return { logMel: addSpectrograms(envelopeOut, fineIn) };

  if (!stats || !pitch || !reference) throw new Error('convertFeatures: unreachable: rebuilt excitation without pitch');
  const mapped = mapF0(pitch.f0Hz, reference, stats.target, ratio);
  const classifier = voicing === 'target' ? directionVoicing(model, direction) : null;
  const f0Out = classifier ? targetVoicedPitch(mapped, pitch, voicingProbability(classifier, envelopeOut, directionStats(model, direction).target), ratio * Math.exp(stats.target.logMean)) : mapped;
  const excitation = rebuildExcitation({ fine: fineIn, f0In: pitch.f0Hz, f0Out, aperiodicity: pitch.aperiodicity }, features);
  // The vocoder's comb contrast: the square root of the ripple depth kept more frames
  // voiced than the depth itself or a full comb (measured on slt, rms, a real telephone
  // voice and the male fixture, pitch moved by x0.6 to x1.7).
  const weight = excitation.depth.map((d) => Math.min(1, Math.sqrt(d)));
  return { logMel: addSpectrograms(envelopeOut, excitation.fine), harmonics: { f0Hz: excitation.f0Hz, weight } };
}

/**
 * The ln-F0 statistics the input's pitch is mapped from. Its own mean when it has enough
 * voiced frames, so that any voice, not only the training speaker's, lands on the target's
 * median. The spread is the larger of its own and the source speaker's: one sentence's
 * range is a noisy estimate of a speaker's, but a livelier voice than the source speaker
 * must not have its intonation amplified past the target's range (a real voice of spread
 * 0.22 mapped with bob/alice's 0.131/0.068 came out at 0.33).
 */
export function inputPitchReference(pitch: F0Track, speaker: PitchStats): PitchStats {
  const own = pitchStats([pitch], MIN_SELF_PITCH_FRAMES);
  if (!own) return speaker;
  const logStd = Math.max(own.logStd, speaker.logStd);
  return { logMean: own.logMean, logStd, voicedFrames: own.voicedFrames };
}

/**
 * The input's aperiodicity from which a frame counts as clear noise (a fricative,
 * aspiration): the target's voicing never voices it.
 */
export const NOISE_APERIODICITY = 0.7;

/**
 * The converted F0 voiced where the input is voiced and, besides, where the target
 * speaker's classifier says P(voiced) > 0.5 on a frame that is not clear noise in the input
 * (NOISE_APERIODICITY). Frames only the target voices take their F0 from their neighbours
 * (`fillPitch`).
 *
 * The classifier only adds voicing. On samples/dev with the shipped model, bob -> alice
 * voicing agreement went from 0.912 (the input's voicing) to 0.929 and its voiced share
 * from 66% to 69% (alice: 80%); alice -> bob changed little. Letting it also unvoice frames
 * gave the same on samples/dev but failed on a voice unlike the training speakers': a real
 * telephone voice turned into bob kept 0.26 of its voiced frames (0.78 with the input's
 * voicing). Without the noise limit, 16% of bob's clearly noisy loud frames and 15% of those
 * of a real male recording came out voiced: a buzzing fricative.
 */
function targetVoicedPitch(mapped: Float64Array, input: F0Track, pVoiced: Float64Array, fallbackHz: number): Float64Array {
  const voiced = Uint8Array.from(pVoiced, (p, t) => (input.voiced[t] || (p > 0.5 && input.aperiodicity[t] < NOISE_APERIODICITY) ? 1 : 0));
  return fillPitch(mapped, voiced, fallbackHz);
}

/** Per-bin statistics moved along frequency with the formants, like the envelope they describe. */
function warpStats(stats: SpeakerStats, formantRatio: number, features: Readonly<FeatureConfig>): SpeakerStats {
  return formantRatio === 1 ? stats : { mean: warpBins(stats.mean, formantRatio, features), std: warpBins(stats.std, formantRatio, features) };
}

function addSpectrograms(a: Spectrogram, b: Spectrogram): Spectrogram {
  return { rows: a.rows, frames: a.frames, data: a.data.map((v, i) => v + b.data[i]) };
}

function subtractSpectrograms(a: Spectrogram, b: Spectrogram): Spectrogram {
  return { rows: a.rows, frames: a.frames, data: a.data.map((v, i) => v - b.data[i]) };
}
