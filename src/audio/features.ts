/**
 * The model's input features: the natural log of the magnitude mel spectrogram, floored
 * so that silence maps to ln(logFloor) (−11.51 for the default 1e-5) instead of −∞.
 */
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig, type Spectrogram } from './config.js';
import { melSpectrogram } from './mel.js';
import { VoiceswapError } from '../errors.js';

/**
 * ln(max(mel, cfg.logFloor)) of x: [nMels, frames] float32.
 * Library entry point: `cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features.
 */
export function logMelSpectrogram(x: Float32Array, cfg: Readonly<FeatureConfig> = DEFAULT_FEATURE_CONFIG): Spectrogram {
  if (!(cfg.logFloor > 0)) {
    throw new VoiceswapError(`invalid feature configuration: logFloor must be positive, got ${cfg.logFloor}`);
  }
  const mel = melSpectrogram(x, cfg);
  const data = mel.data;
  const floor = cfg.logFloor;
  for (let i = 0; i < data.length; i++) data[i] = Math.log(data[i] > floor ? data[i] : floor);
  return mel;
}
