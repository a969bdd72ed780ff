/**
 * Mel-cepstra for objective evaluation (MCD), computed the way SPTK's `sp2mc` does:
 * the real cepstrum of each frame's log periodogram, folded into a minimum-phase
 * (causal) cepstrum, then warped onto a mel-like frequency axis by the first-order
 * all-pass transform z̃⁻¹ = (z⁻¹ − α) / (1 − α z⁻¹) with the recursive `freqt` algorithm.
 *
 * Convention (SPTK's): the coefficients c(0..M) describe ln|H(e^{jω})| = Σ_m c(m)·cos(m·β(ω))
 * on the warped axis β, i.e. they are cepstra of the natural-log AMPLITUDE spectrum.
 * With this convention the usual MCD constant (10 / ln 10)·sqrt(2·Σ Δc²) is exactly the
 * RMS log-spectral difference in dB over the warped axis (c0 excluded); see docs/evaluation.md.
 */
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../audio/config.js';
import { RealFft } from '../audio/rfft.js';
import { stft } from '../audio/stft.js';
import { VoiceswapError } from '../errors.js';

export interface MelCepstrumConfig {
  /** Analysis sample rate in Hz (the audio must already be at this rate). */
  sampleRate: number;
  /** Frame (Hann window) and FFT length in samples. */
  nFft: number;
  /** Hop between frame centres in samples. */
  hopLength: number;
  /** Highest cepstral index M: the result holds c0..cM. */
  order: number;
  /** All-pass constant α of the frequency warping (0.455 approximates the mel scale at 22.05 kHz). */
  alpha: number;
  /**
   * Spectral floor in dB below the file's strongest bin. Empty bands (above a vocoder's
   * cut-off, 16-bit dither) would otherwise enter the log at arbitrary tiny levels and
   * dominate the distance; floored, they compare equal on both sides.
   */
  floorDb: number;
}

/**
 * 22.05 kHz, 512-sample Hann frames (23 ms: long enough to resolve an 80 Hz voice's
 * spectrum, short enough to follow phones), hop 128 (5.8 ms, the usual ~5 ms MCD frame
 * rate), c0..c24, α = 0.455 (SPTK's value for 22.05 kHz), 80 dB floor.
 */
export const DEFAULT_MEL_CEPSTRUM_CONFIG: Readonly<MelCepstrumConfig> = Object.freeze({
  sampleRate: DEFAULT_FEATURE_CONFIG.sampleRate,
  nFft: 512,
  hopLength: 128,
  order: 24,
  alpha: 0.455,
  floorDb: 80,
});

/** Per-frame mel-cepstra of one signal. */
export interface MelCepstrogram {
  /** Frame-major: c_m of frame t at t·(order+1) + m. */
  coeffs: Float64Array;
  frames: number;
  order: number;
  /** Frame energy 10·log10(Σ_k |X_k|²) over bins 0..nFft/2 (dB, arbitrary reference). */
  energyDb: Float64Array;
}

/**
 * Frequency transformation of a cepstrum (SPTK's `freqt`): the cepstrum c (index 0..len−1)
 * of ln H(z) re-expressed in powers of the all-pass z̃⁻¹ with constant α, truncated to
 * order + 1 coefficients. α > 0 stretches low frequencies (linear → mel-like); −α undoes it.
 * Horner-like recursion over the input from its highest quefrency down, O(len · order).
 */
export function freqt(c: ArrayLike<number>, order: number, alpha: number): Float64Array {
  const beta = 1 - alpha * alpha;
  let g = new Float64Array(order + 1);
  let prev = new Float64Array(order + 1);
  for (let i = c.length - 1; i >= 0; i--) {
    [prev, g] = [g, prev];
    g[0] = c[i] + alpha * prev[0];
    if (order >= 1) g[1] = beta * prev[0] + alpha * prev[1];
    for (let j = 2; j <= order; j++) g[j] = prev[j - 1] + alpha * (prev[j] - g[j - 1]);
  }
  return g;
}

/**
 * Warped frequency β(ω) ∈ [0, π] of the all-pass z̃⁻¹ at angular frequency ω: the axis
 * on which the mel-cepstrum is a cosine series. Used by the tests and to explain α.
 */
export function warpedFrequency(omega: number, alpha: number): number {
  return Math.atan2((1 - alpha * alpha) * Math.sin(omega), (1 + alpha * alpha) * Math.cos(omega) - 2 * alpha);
}

/**
 * Minimum-phase cepstrum c(0..n/2) of a log-amplitude half spectrum L_k = ln|X_k|
 * (k = 0..n/2) through an inverse real FFT: c(0) = ĉ(0), c(m) = 2ĉ(m) for 0 < m < n/2 and
 * c(n/2) = ĉ(n/2), ĉ being the (even) real cepstrum. Then ln|X(ω)| = Σ c(m) cos(mω).
 */
export function minimumPhaseCepstrum(fft: RealFft, logAmplitude: Float64Array, zeros: Float64Array, out: Float64Array): void {
  fft.inverse(logAmplitude, zeros, 0, out);
  const half = fft.size / 2;
  for (let m = 1; m < half; m++) out[m] *= 2;
}

function checkConfig(cfg: Readonly<MelCepstrumConfig>): void {
  if (!Number.isInteger(cfg.order) || cfg.order < 1 || cfg.order > cfg.nFft / 2) {
    throw new VoiceswapError(`mel-cepstrum order must be an integer in 1..nFft/2, got ${cfg.order}`);
  }
  if (!(Math.abs(cfg.alpha) < 1)) throw new VoiceswapError(`all-pass constant alpha must be in (-1, 1), got ${cfg.alpha}`);
  if (!(cfg.floorDb > 0)) throw new VoiceswapError(`spectral floor must be a positive number of dB, got ${cfg.floorDb}`);
}

/**
 * Mel-cepstra c0..c_order of every frame of x (centred Hann frames as in src/audio/stft.ts,
 * zero padding at the ends so no mirrored speech appears in edge frames), and each frame's energy.
 */
export function melCepstrogram(x: Float32Array, cfg: Readonly<MelCepstrumConfig> = DEFAULT_MEL_CEPSTRUM_CONFIG): MelCepstrogram {
  checkConfig(cfg);
  const stftConfig: FeatureConfig = { ...DEFAULT_FEATURE_CONFIG, sampleRate: cfg.sampleRate, nFft: cfg.nFft, hopLength: cfg.hopLength };
  const spec = stft(x, stftConfig, 'constant');
  const { bins, frames } = spec;
  const power = new Float64Array(bins * frames);
  let maxPower = 0;
  for (let i = 0; i < power.length; i++) {
    power[i] = spec.re[i] * spec.re[i] + spec.im[i] * spec.im[i];
    if (power[i] > maxPower) maxPower = power[i];
  }
  // A silent file still gets finite (all-equal) cepstra rather than -Infinity.
  const floor = Math.max(maxPower * 10 ** (-cfg.floorDb / 10), Number.MIN_VALUE);

  const fft = new RealFft(cfg.nFft);
  const logAmplitude = new Float64Array(bins);
  const zeros = new Float64Array(bins);
  const cepstrum = new Float64Array(cfg.nFft);
  const width = cfg.order + 1;
  const coeffs = new Float64Array(frames * width);
  const energyDb = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    let energy = 0;
    for (let k = 0; k < bins; k++) {
      const p = power[t * bins + k];
      energy += p;
      logAmplitude[k] = 0.5 * Math.log(Math.max(p, floor));
    }
    energyDb[t] = 10 * Math.log10(Math.max(energy, Number.MIN_VALUE));
    minimumPhaseCepstrum(fft, logAmplitude, zeros, cepstrum);
    // Only the causal half c(0..n/2) is a cepstrum; the rest of the buffer is its mirror.
    coeffs.set(freqt(cepstrum.subarray(0, bins), cfg.order, cfg.alpha), t * width);
  }
  return { coeffs, frames, order: cfg.order, energyDb };
}
