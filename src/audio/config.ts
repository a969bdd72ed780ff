/**
 * The feature configuration: everything that decides what a log-mel frame means.
 * One object is used for a whole training run and saved with the model, so a model
 * can refuse audio analysed another way.
 */
export interface FeatureConfig {
  /** Model sample rate in Hz; input audio is resampled to it. */
  sampleRate: number;
  /** FFT size (and window length) in samples. */
  nFft: number;
  /** Hop between frames in samples. */
  hopLength: number;
  /** Number of mel bands. */
  nMels: number;
  /** Lowest and highest filterbank edge in Hz. */
  fMin: number;
  fMax: number;
  /** Floor applied to the magnitude mel before the natural log. */
  logFloor: number;
}

/**
 * The default: 22.05 kHz, n_fft 1024 with a periodic Hann window of 1024, hop 256,
 * 80 Slaney mel bands from 0 to 8000 Hz with Slaney area normalisation, magnitude
 * (power 1) mel, centred frames with reflect padding, ln(max(mel, 1e-5)).
 * The convention of HiFi-GAN and MaskCycleGAN-VC, and what librosa 0.10 computes with
 * `melspectrogram(sr=22050, n_fft=1024, hop_length=256, n_mels=80, fmin=0, fmax=8000, power=1)`.
 */
export const DEFAULT_FEATURE_CONFIG: Readonly<FeatureConfig> = Object.freeze({
  sampleRate: 22050,
  nFft: 1024,
  hopLength: 256,
  nMels: 80,
  fMin: 0,
  fMax: 8000,
  logFloor: 1e-5,
});

/** A 2-D float32 array stored row-major as [rows, frames] (the layout of a .npy [rows, frames]). */
export interface Spectrogram {
  data: Float32Array;
  rows: number;
  frames: number;
}

/** Frames produced by centred framing: 1 + floor(N / hop), as librosa computes. */
export function frameCount(numSamples: number, hopLength: number): number {
  return 1 + Math.floor(numSamples / hopLength);
}
