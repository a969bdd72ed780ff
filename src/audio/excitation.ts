/**
 * The excitation part of a converted log-mel, rebuilt at the converted pitch.
 *
 * A voiced frame's fine structure (log-mel minus its envelope, see envelope.ts) is the
 * harmonic ripple of its F0 as the STFT and the mel bank see it. Here it is drawn from
 * first principles: a comb of harmonics at F0, each the magnitude of the Hann window's
 * main lobe (what one sinusoid leaves in a magnitude STFT), up to fMax, mel-projected,
 * logged and stripped of its own envelope. How deep the ripple is in a given recording
 * (clean, breathy, telephone) is taken from the input: the input's fine structure is
 * regressed on the comb's at the input's own F0, and the comb at the converted F0 is
 * drawn with that depth. Unvoiced frames keep the input's fine structure (the
 * randomness of noise), so what was noise stays noise.
 */
import { frameEnvelope } from './envelope.js';
import { applyFilterbank, sparseMelFilterbank, type SparseFilterbank } from './mel.js';
import type { FeatureConfig, Spectrogram } from './config.js';

/**
 * Bins over which a frame's ripple depth is measured: the lowest mel bands (up to about
 * 1.3 kHz at 80 bands), where the mel bank resolves the harmonics of any voice.
 */
export const DEPTH_FIT_BANDS = 30;

/** Ripple depth relative to a clean comb, limited to [0, MAX_DEPTH]: more would invent structure. */
export const MAX_DEPTH = 1.5;

/** |DFT of a periodic Hann window| at a distance of `delta` bins from a sinusoid's frequency (main lobe only). */
function hannLobe(delta: number): number {
  const d = Math.abs(delta);
  if (d >= 2) return 0;
  const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
  return Math.abs(0.5 * sinc(d) + 0.25 * sinc(d - 1) + 0.25 * sinc(d + 1));
}

/** Draws the fine structure of a clean harmonic comb at any F0 for one feature configuration. */
export class HarmonicComb {
  private readonly bank: SparseFilterbank;
  private readonly binHz: number;
  private readonly maxHz: number;
  private readonly linear: Float64Array;
  private readonly mel: Float32Array;
  private readonly logMel: Float64Array;
  private readonly smooth: Float64Array;

  constructor(cfg: Readonly<FeatureConfig>) {
    this.bank = sparseMelFilterbank(cfg);
    this.binHz = cfg.sampleRate / cfg.nFft;
    this.maxHz = Math.min(cfg.fMax, cfg.sampleRate / 2);
    this.linear = new Float64Array(this.bank.bins);
    this.mel = new Float32Array(cfg.nMels);
    this.logMel = new Float64Array(cfg.nMels);
    this.smooth = new Float64Array(cfg.nMels);
  }

  /**
   * The comb's linear magnitude (bins values, valid until the next call): harmonics at
   * f0Hz standing out from a flat floor by `weight` (1 = a clean comb whose valleys are
   * about 40 dB down, 0 = flat), scaled so that its mean over a harmonic spacing is ~1.
   */
  linearComb(f0Hz: number, weight = 1): Float64Array {
    const { linear, binHz } = this;
    const spacing = Math.max(f0Hz / binHz, 1);
    const w = Math.min(1, Math.max(0, weight));
    // Each lobe sums to 1 over bins, so spacing·comb has mean ~1.
    linear.fill((1 - w) + w * 1e-2);
    for (let h = 1; h * f0Hz <= this.maxHz; h++) {
      const centre = h * spacing;
      for (let k = Math.max(0, Math.ceil(centre - 2)); k <= Math.min(linear.length - 1, Math.floor(centre + 2)); k++) linear[k] += w * spacing * hannLobe(k - centre);
    }
    return linear;
  }

  /** Fine structure (nMels values, into `out`) of a clean comb at f0Hz as the mel bank sees it. */
  fineStructure(f0Hz: number, out: Float64Array): Float64Array {
    applyFilterbank(this.bank, this.linearComb(f0Hz), this.mel, 0, 1);
    const nMels = this.bank.nMels;
    for (let m = 0; m < nMels; m++) this.logMel[m] = Math.log(Math.max(this.mel[m], 1e-30));
    frameEnvelope(this.logMel, this.smooth);
    for (let m = 0; m < nMels; m++) out[m] = this.logMel[m] - this.smooth[m];
    return out;
  }
}

/** What the excitation is rebuilt from, per log-mel frame. */
export interface ExcitationInput {
  /** The input's fine structure [nMels, T]: its log-mel minus its spectral envelope. */
  fine: Spectrogram;
  /** The input's F0 per frame (0 = unvoiced) and the converted F0 (0 where unvoiced). */
  f0In: Float64Array;
  f0Out: Float64Array;
}

/** The rebuilt excitation of a converted log-mel. */
export interface Excitation {
  /** Fine structure [nMels, T], to be added to the converted envelope. */
  fine: Spectrogram;
  /** Converted F0 per frame (0 = unvoiced) and the ripple depth drawn there (for the vocoder's comb). */
  f0Hz: Float64Array;
  depth: Float64Array;
}

/**
 * The fine structure of the converted log-mel [nMels, T]: in voiced frames a comb at
 * f0Out with the depth the input's ripple has at f0In; in unvoiced frames the input's own.
 */
export function rebuildExcitation(input: ExcitationInput, cfg: Readonly<FeatureConfig>): Excitation {
  const { fine, f0In, f0Out } = input;
  const { rows, frames, data } = fine;
  const comb = new HarmonicComb(cfg);
  const column = new Float64Array(rows);
  const combIn = new Float64Array(rows);
  const combOut = new Float64Array(rows);
  const out = new Float32Array(rows * frames);
  const fitBands = Math.min(DEPTH_FIT_BANDS, rows);
  const depths = new Float64Array(frames);
  const f0Hz = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    for (let m = 0; m < rows; m++) column[m] = data[m * frames + t];
    if (!(f0In[t] > 0 && f0Out[t] > 0)) {
      for (let m = 0; m < rows; m++) out[m * frames + t] = column[m];
      continue;
    }
    comb.fineStructure(f0In[t], combIn);
    let dot = 0;
    let norm = 0;
    for (let m = 0; m < fitBands; m++) {
      dot += column[m] * combIn[m];
      norm += combIn[m] * combIn[m];
    }
    const depth = norm > 0 ? Math.min(MAX_DEPTH, Math.max(0, dot / norm)) : 0;
    comb.fineStructure(f0Out[t], combOut);
    depths[t] = depth;
    f0Hz[t] = f0Out[t];
    for (let m = 0; m < rows; m++) out[m * frames + t] = depth * combOut[m];
  }
  return { fine: { data: out, rows, frames }, f0Hz, depth: depths };
}
