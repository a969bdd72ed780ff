/**
 * voiceswap in a browser (or any JavaScript runtime without Node modules): the pure front
 * end, the model parsed from bytes, conversion and the vocoder, and the numbers behind the
 * spectrogram pictures. Nothing imported from here touches node:* (the page's esbuild
 * bundle, platform 'browser', fails the build if anything does). File I/O, backends other
 * than tfjs's own and PNG pictures are in the Node entry point, index.ts.
 */
export { VoiceswapError, FileError } from './errors.js';
export { DEFAULT_FEATURE_CONFIG, frameCount, type FeatureConfig, type Spectrogram } from './audio/config.js';
export { decodeWav, encodeWav, type DecodedWav, type WavEncoding } from './audio/wav-codec.js';
export { resample } from './audio/resample.js';
export { logMelSpectrogram } from './audio/features.js';
export { logMelToAudio } from './audio/griffinlim.js';
export { parseModel, type LoadedModel, type ParseModelOptions } from './model/format.js';
export { DIRECTIONS, assertFeatures, disposeVoiceModel, voiceModelFromBytes, type Direction, type VoiceModel } from './convert/voice-model-core.js';
export { convertAudio, type ConvertOptions, type ConvertedAudio, type ConvertStage } from './convert/convert-audio.js';
export { colormapLut, colormapRgb, lutIndex, type ColormapName } from './viz/colormap.js';
export { STYLE, type Box, type Tick } from './viz/ticks.js';
export {
  colorbarTicks,
  decibelRange,
  DEFAULT_DB_RANGE,
  frequencyAxis,
  frequencyTicks,
  spectrogramDecibels,
  spectrogramPixels,
  timeTicks,
} from './viz/spectrogram-pixels.js';
export { installWasmKernels } from './backend/wasm/kernels.js';
