/**
 * voiceswap as a library: every stage of the pipeline, the same code the CLI runs.
 *
 *   WAV --readWav/loadAudio--> samples --logMelSpectrogram--> log-mel [80, frames]
 *                                      --trackPitch--> F0 per frame
 *       --convertFeatures (envelope: formant warp, then generator; voicing: target speaker's classifier;
 *                          excitation: rebuilt at the mapped F0)--> log-mel
 *       --logMelToAudio (Griffin-Lim, harmonic comb at the converted F0)--> samples --writeWav--> WAV
 */

// Errors: user-facing problems carry one-line messages.
export { VoiceswapError, FileError } from './errors.js';

// Audio front end (pure TypeScript, no tfjs).
export { DEFAULT_FEATURE_CONFIG, frameCount, type FeatureConfig, type Spectrogram } from './audio/config.js';
export { readWav, decodeWav, writeWav, encodeWav, type DecodedWav, type WavEncoding, type WriteWavOptions } from './audio/wav.js';
export { resample } from './audio/resample.js';
export { loadAudio, type LoadedAudio, type AudioSourceInfo } from './audio/load.js';
export { listWavFiles, type ListWavOptions } from './io/wav-files.js';
export { hannWindow } from './audio/window.js';
export { stft, istft, stftMagnitude, type ComplexSpectrogram } from './audio/stft.js';
export { melFilterbank, melSpectrogram } from './audio/mel.js';
export { hzToMel, melToHz, melFrequencies } from './audio/melscale.js';
export { logMelSpectrogram } from './audio/features.js';
export {
  trackPitch,
  trackF0,
  cleanPitchTrack,
  pitchStats,
  mapF0,
  fillPitch,
  DEFAULT_F0_CONFIG,
  type F0Track,
  type F0Config,
  type PitchStats,
} from './audio/pitch.js';
export { spectralEnvelope } from './audio/envelope.js';
export { warpEnvelope, formantRatioForPitch } from './audio/formant-warp.js';
export { rebuildExcitation, HarmonicComb, type Excitation } from './audio/excitation.js';
export { melToLinear, type MelInversionMethod } from './audio/mel-inverse.js';
export {
  griffinLim,
  logMelToAudio,
  spectralConvergenceDb,
  VOCODER_DEFAULTS,
  type GriffinLimOptions,
  type PhaseInit,
} from './audio/griffinlim.js';

// NumPy .npy files (log-mel dumps).
export { readNpy, writeNpy, parseNpy, encodeNpy, type NpyArray } from './io/npy.js';

// Pictures.
export { renderSpectrogramPng, renderSpectrogramStackPng } from './viz/spectrogram-image.js';
export { renderLineChartPng } from './viz/line-chart.js';

// Backends (tfjs).
export { initBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo } from './backend/index.js';

// Models, training and conversion.
export { presetConfig, customConfig, PRESET_NAMES, DEFAULT_PRESET, type ModelConfig, type PresetName } from './model/presets.js';
export { computeSpeakerStats, normalizeLogMel, denormalizeLogMel, type SpeakerStats } from './model/normalization.js';
export { fitVoicingClassifier, voicingProbability, DEFAULT_VOICING_FIT, type VoicingClassifier } from './model/voicing.js';
export { CycleGanTrainer } from './train/step.js';
export { type LossValues } from './run/loss-log.js';
export { train, type TrainOptions, type TrainResult, type RunConfig } from './train/train.js';
export { defaultSchedule, settingsAt, type Schedule } from './run/schedule.js';
export { loadVoiceModel, voiceModelFromBytes, disposeVoiceModel, type VoiceModel, type Direction } from './convert/voice-model.js';
export { saveVoiceModel, resolveModelDir } from './run/export.js';
export { parseModel, type LoadedModel, type ParseModelOptions } from './model/format.js';
export { convertFeatures, EXCITATION_MODES, VOICING_MODES, type ExcitationMode, type VoicingMode, type FeatureConversionOptions, type ConvertedFeatures } from './convert/convert-features.js';
export { inputVoiceStats, inputStatsWeight, blendStats, INPUT_STATS_PRIOR_SECONDS, type InputVoiceStats, type InputStatsChoice } from './convert/input-stats.js';
export { convertLogMel, statsOnlyLogMel, convertInChunks, DEFAULT_CHUNKING, type ChunkOptions } from './convert/convert-logmel.js';
export { defaultModelDir } from './convert/shipped-model.js';
export { convertAudio, type ConvertOptions, type ConvertedAudio, type ConvertStage } from './convert/convert-audio.js';
export { convertFile } from './convert/convert-file.js';

// Training reports (self-contained HTML).
export { writeRunReport, defaultReportPath } from './report/report.js';
export { collectRunReport, type RunReport, type ReportSelection } from './report/collect.js';
export { renderReportHtml } from './report/html.js';

// Evaluation.
export { evaluatePairs, formatReportTable, DEFAULT_EVALUATION_CONFIG, type EvaluationReport, type EvaluationOptions } from './eval/evaluate.js';
export { werForDir, formatWerReport } from './eval/recognize.js';
