/**
 * The mel filterbank (librosa.filters.mel with Slaney scale and Slaney area
 * normalisation) and the magnitude mel spectrogram.
 *
 * Each band is a triangle over a few FFT bins, so the bank is stored sparsely: for
 * band m, `weights[offsets[m] .. offsets[m + 1])` are the weights of bins
 * `firstBin[m], firstBin[m] + 1, ...`. The 80 × 513 default bank has 727 nonzero
 * weights out of 41040, and no band reaches past bin 372 (fMax 8 kHz), which is why
 * the mel spectrogram below only takes magnitudes up to `maxBin`.
 */
import { DEFAULT_FEATURE_CONFIG, frameCount, type FeatureConfig, type Spectrogram } from './config.js';
import { melFrequencies } from './melscale.js';
import { forEachMagnitude, stftPlan } from './stft.js';
import { VoiceswapError } from '../errors.js';

/** A filterbank in compressed sparse row form (see the file comment). */
export interface SparseFilterbank {
  nMels: number;
  /** Number of FFT bins, nFft / 2 + 1. */
  bins: number;
  /** First bin of each band with a nonzero weight. */
  firstBin: Int32Array;
  /** Band m's weights are weights[offsets[m], offsets[m + 1]); length nMels + 1. */
  offsets: Int32Array;
  weights: Float64Array;
  /** One past the highest bin any band uses. */
  maxBin: number;
}

/** Fail with a one-line message on a configuration no filterbank can be built for. */
function checkMelConfig(cfg: Readonly<FeatureConfig>): void {
  const { sampleRate, nMels, fMin, fMax } = cfg;
  if (!(sampleRate > 0)) throw new VoiceswapError(`invalid feature configuration: sampleRate must be positive, got ${sampleRate}`);
  if (!Number.isInteger(nMels) || nMels < 1) {
    throw new VoiceswapError(`invalid feature configuration: nMels must be a positive integer, got ${nMels}`);
  }
  if (!(fMin >= 0 && fMax > fMin)) {
    throw new VoiceswapError(`invalid feature configuration: need 0 <= fMin < fMax, got fMin ${fMin}, fMax ${fMax}`);
  }
}

/** The dense weights as float64, row-major [nMels, bins] (librosa's construction). */
function denseWeights(cfg: Readonly<FeatureConfig>): Float64Array {
  checkMelConfig(cfg);
  const { sampleRate, nFft, nMels, fMin, fMax } = cfg;
  const bins = (nFft >> 1) + 1;
  // Band m rises from edge m to a peak at edge m+1 and falls to zero at edge m+2.
  const edges = melFrequencies(nMels + 2, fMin, fMax);
  const w = new Float64Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const lo = edges[m];
    const mid = edges[m + 1];
    const hi = edges[m + 2];
    const areaNorm = 2 / (hi - lo); // Slaney: every triangle has the same area
    for (let k = 0; k < bins; k++) {
      const f = (k * sampleRate) / nFft;
      const rising = (f - lo) / (mid - lo);
      const falling = (hi - f) / (hi - mid);
      const v = Math.min(rising, falling);
      if (v > 0) w[m * bins + k] = v * areaNorm;
    }
  }
  return w;
}

/** The mel filterbank as a dense [nMels, nFft/2 + 1] float32 matrix. Library entry point: `cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features. */
export function melFilterbank(cfg: Readonly<FeatureConfig> = DEFAULT_FEATURE_CONFIG): Spectrogram {
  const bins = (cfg.nFft >> 1) + 1;
  return { data: Float32Array.from(denseWeights(cfg)), rows: cfg.nMels, frames: bins };
}

const bankCache = new Map<string, SparseFilterbank>();
const BANK_CACHE_LIMIT = 8;

/** The cached sparse filterbank for cfg (the caller's: no default here). */
export function sparseMelFilterbank(cfg: Readonly<FeatureConfig>): SparseFilterbank {
  const key = `${cfg.sampleRate}/${cfg.nFft}/${cfg.nMels}/${cfg.fMin}/${cfg.fMax}`;
  const cached = bankCache.get(key);
  if (cached) return cached;
  const dense = denseWeights(cfg);
  const nMels = cfg.nMels;
  const bins = (cfg.nFft >> 1) + 1;
  const firstBin = new Int32Array(nMels);
  const offsets = new Int32Array(nMels + 1);
  const values: number[] = [];
  let maxBin = 0;
  for (let m = 0; m < nMels; m++) {
    const row = dense.subarray(m * bins, (m + 1) * bins);
    let first = row.findIndex((v) => v > 0);
    if (first < 0) first = 0; // an empty band (too many mels for nFft): it stays all zero
    let last = first - 1;
    for (let k = bins - 1; k >= first; k--) {
      if (row[k] > 0) {
        last = k;
        break;
      }
    }
    firstBin[m] = first;
    offsets[m] = values.length;
    for (let k = first; k <= last; k++) values.push(row[k]);
    maxBin = Math.max(maxBin, last + 1);
  }
  offsets[nMels] = values.length;
  const bank: SparseFilterbank = { nMels, bins, firstBin, offsets, weights: Float64Array.from(values), maxBin };
  if (bankCache.size >= BANK_CACHE_LIMIT) bankCache.clear();
  bankCache.set(key, bank);
  return bank;
}

/** out[m * stride + column] = Σ_k bank[m, k] · magnitude[k] for every band m. */
export function applyFilterbank(
  bank: SparseFilterbank,
  magnitude: Float64Array,
  out: Float32Array,
  column: number,
  stride: number,
): void {
  const { firstBin, offsets, weights, nMels } = bank;
  for (let m = 0; m < nMels; m++) {
    const end = offsets[m + 1];
    let k = firstBin[m];
    let sum = 0;
    for (let i = offsets[m]; i < end; i++) sum += weights[i] * magnitude[k++];
    out[m * stride + column] = sum;
  }
}

/**
 * The magnitude (power 1) mel spectrogram of x: [nMels, frames], with the STFT of
 * `stft.ts` (centred frames, reflect padding, periodic Hann).
 * Library entry point: `cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features.
 */
export function melSpectrogram(x: Float32Array, cfg: Readonly<FeatureConfig> = DEFAULT_FEATURE_CONFIG): Spectrogram {
  const plan = stftPlan(cfg);
  const bank = sparseMelFilterbank(cfg);
  const frames = frameCount(x.length, plan.hopLength);
  const data = new Float32Array(bank.nMels * frames);
  forEachMagnitude(plan, x, 'reflect', bank.maxBin, (magnitude, t) => applyFilterbank(bank, magnitude, data, t, frames));
  return { data, rows: bank.nMels, frames };
}
