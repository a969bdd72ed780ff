/**
 * Short-time Fourier transform and its inverse, with librosa 0.10's conventions:
 * periodic Hann window of length nFft, centred frames (the signal is padded by nFft/2 on
 * each side, so frame t is centred on sample t·hop), 1 + floor(N / hop) frames, and an
 * inverse that overlap-adds windowed frames and divides by the window's sum of squares.
 *
 * Complex spectra are stored frame-major (bin k of frame t at t·bins + k) because every
 * consumer walks them frame by frame; `stftMagnitude` transposes to the [bins, frames]
 * layout of a Spectrogram at the API boundary.
 */
import { DEFAULT_FEATURE_CONFIG, frameCount, type FeatureConfig, type Spectrogram } from './config.js';
import { RealFft } from './rfft.js';
import { hannWindow } from './window.js';
import { VoiceswapError } from '../errors.js';

/** A complex STFT, frame-major: bin k of frame t is (re, im)[t * bins + k]. */
export interface ComplexSpectrogram {
  re: Float64Array;
  im: Float64Array;
  bins: number;
  frames: number;
}

/**
 * How the signal is extended beyond its ends for centred frames. 'reflect' mirrors
 * without repeating the edge sample (x[-1] = x[1]), as the log-mel features use;
 * 'constant' pads zeros (librosa 0.10's default for stft and griffinlim).
 */
export type PadMode = 'reflect' | 'constant';

/** Everything the frame loops need for one (nFft, hop): built once and reused. */
export interface StftPlan {
  readonly nFft: number;
  readonly hopLength: number;
  /** nFft / 2 + 1 */
  readonly bins: number;
  readonly fft: RealFft;
  readonly window: Float64Array;
  /** Scratch for one windowed frame (reused by every call; the loops are synchronous). */
  readonly frame: Float64Array;
}

const planCache = new Map<string, StftPlan>();
const PLAN_CACHE_LIMIT = 8;

/** The cached plan for cfg's nFft and hopLength (cfg is the caller's: no default here). */
export function stftPlan(cfg: Readonly<FeatureConfig>): StftPlan {
  const { nFft, hopLength } = cfg;
  const key = `${nFft}/${hopLength}`;
  let plan = planCache.get(key);
  if (plan) return plan;
  if (!Number.isInteger(nFft) || nFft < 4 || (nFft & (nFft - 1)) !== 0) {
    throw new VoiceswapError(`invalid feature configuration: nFft must be a power of two of at least 4, got ${nFft}`);
  }
  if (!Number.isInteger(hopLength) || hopLength < 1 || hopLength > nFft) {
    throw new VoiceswapError(`invalid feature configuration: hopLength must be an integer in 1..nFft, got ${hopLength}`);
  }
  plan = {
    nFft,
    hopLength,
    bins: nFft / 2 + 1,
    fft: new RealFft(nFft),
    window: hannWindow(nFft),
    frame: new Float64Array(nFft),
  };
  if (planCache.size >= PLAN_CACHE_LIMIT) planCache.clear();
  planCache.set(key, plan);
  return plan;
}

/**
 * Where sample j of the centred signal (j may be < 0 or ≥ n) is read from, as
 * numpy.pad's 'reflect' mode: mirror without repeating the edge sample, repeating with
 * period 2·(n − 1) when the pad is longer than the signal; a one-sample signal is
 * repeated, as numpy does for that degenerate case.
 */
export function reflectIndex(j: number, n: number): number {
  if (j >= 0 && j < n) return j;
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let r = j % period;
  if (r < 0) r += period;
  return r < n ? r : period - r;
}

/**
 * Set the entries of buf[0, count) that lie before the signal's start or after its end, as
 * centred frames pad them, where buf[i] holds sample first + i of a `length`-sample signal
 * (first = −nFft/2 for a whole padded signal, or the start of a block of it).
 */
export function fillPadding(buf: Float64Array, first: number, count: number, length: number, mode: PadMode): void {
  const fill = (from: number, to: number): void => {
    if (mode === 'constant') buf.fill(0, from, to);
    else for (let i = from; i < to; i++) buf[i] = buf[reflectIndex(first + i, length) - first];
  };
  if (first < 0) fill(0, -first);
  if (first + count > length) fill(length - first, count);
}

function checkNotEmpty(x: ArrayLike<number>): void {
  if (x.length === 0) throw new VoiceswapError('cannot analyse an empty signal (0 samples)');
}

/**
 * Copy the frame of x that starts at sample `start` (which may be negative: centred
 * frames begin nFft/2 before the signal) into `frame`, unwindowed. Only the few frames
 * that overlap an end take the slow path through the padding, so the signal is never
 * copied as a whole.
 */
export function loadFrame(x: Float32Array, start: number, mode: PadMode, frame: Float64Array): void {
  const nFft = frame.length;
  const n = x.length;
  if (start >= 0 && start + nFft <= n) {
    frame.set(x.subarray(start, start + nFft));
    return;
  }
  for (let j = 0; j < nFft; j++) {
    const i = start + j;
    frame[j] = i >= 0 && i < n ? x[i] : mode === 'reflect' ? x[reflectIndex(i, n)] : 0;
  }
}

/**
 * Call visit(re, im, t) with the half spectrum of every centred, Hann-windowed frame of
 * x in turn (re/im are scratch buffers that the next frame overwrites). Returns the
 * frame count.
 */
export function forEachSpectrum(
  plan: StftPlan,
  x: Float32Array,
  mode: PadMode,
  visit: (re: Float64Array, im: Float64Array, t: number) => void,
): number {
  checkNotEmpty(x);
  const { nFft, hopLength, window, frame, bins } = plan;
  const frames = frameCount(x.length, hopLength);
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  for (let t = 0; t < frames; t++) {
    loadFrame(x, t * hopLength - (nFft >> 1), mode, frame);
    for (let j = 0; j < nFft; j++) frame[j] *= window[j];
    plan.fft.forward(frame, re, im, 0);
    visit(re, im, t);
  }
  return frames;
}

/**
 * Call visit(mag, t) with the Hann-windowed magnitudes of bins [0, count) of every
 * centred frame of x (mag is scratch that the next frame overwrites). The window is
 * applied in the frequency domain (RealFft.hannMagnitude), so this is for the plan's
 * periodic Hann window only. Returns the frame count.
 */
export function forEachMagnitude(
  plan: StftPlan,
  x: Float32Array,
  mode: PadMode,
  count: number,
  visit: (mag: Float64Array, t: number) => void,
): number {
  checkNotEmpty(x);
  const { nFft, hopLength, frame, bins } = plan;
  const frames = frameCount(x.length, hopLength);
  const mag = new Float64Array(bins);
  for (let t = 0; t < frames; t++) {
    loadFrame(x, t * hopLength - (nFft >> 1), mode, frame);
    plan.fft.hannMagnitude(frame, mag, count);
    visit(mag, t);
  }
  return frames;
}

/**
 * Complex STFT of x (centred frames), frame-major.
 * Library entry point: `cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features.
 */
export function stft(
  x: Float32Array,
  cfg: Readonly<FeatureConfig> = DEFAULT_FEATURE_CONFIG,
  padMode: PadMode = 'reflect',
): ComplexSpectrogram {
  const plan = stftPlan(cfg);
  checkNotEmpty(x);
  const frames = frameCount(x.length, plan.hopLength);
  const bins = plan.bins;
  const spec: ComplexSpectrogram = { re: new Float64Array(frames * bins), im: new Float64Array(frames * bins), bins, frames };
  forEachSpectrum(plan, x, padMode, (re, im, t) => {
    spec.re.set(re, t * bins);
    spec.im.set(im, t * bins);
  });
  return spec;
}

/** Frames gathered before they are written out transposed (see stftMagnitude). */
const TRANSPOSE_BLOCK = 16;

/**
 * |STFT(x)| as a [nFft/2 + 1, frames] float32 spectrogram (centred frames, reflect padding).
 * Library entry point: `cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features.
 */
export function stftMagnitude(x: Float32Array, cfg: Readonly<FeatureConfig> = DEFAULT_FEATURE_CONFIG): Spectrogram {
  const plan = stftPlan(cfg);
  checkNotEmpty(x);
  const frames = frameCount(x.length, plan.hopLength);
  const bins = plan.bins;
  const data = new Float32Array(bins * frames);
  // Frames arrive one column at a time; gathering TRANSPOSE_BLOCK of them and writing each
  // row's run contiguously is about twice as fast as scattering every column.
  const block = new Float64Array(TRANSPOSE_BLOCK * bins);
  const flush = (first: number, count: number): void => {
    for (let k = 0; k < bins; k++) {
      const row = k * frames + first;
      for (let j = 0; j < count; j++) data[row + j] = block[j * bins + k];
    }
  };
  forEachMagnitude(plan, x, 'reflect', bins, (mag, t) => {
    const j = t % TRANSPOSE_BLOCK;
    block.set(mag, j * bins);
    if (j === TRANSPOSE_BLOCK - 1) flush(t - j, TRANSPOSE_BLOCK);
  });
  if (frames % TRANSPOSE_BLOCK !== 0) flush(frames - (frames % TRANSPOSE_BLOCK), frames % TRANSPOSE_BLOCK);
  return { data, rows: bins, frames };
}

/**
 * 1 / window-sum-square for output samples [0, length) of a centred ISTFT, with 0 where
 * the sum is negligible (as librosa leaves those samples undivided, and they are 0).
 */
export function inverseWindowGain(plan: StftPlan, frames: number, length: number): Float64Array {
  const gain = new Float64Array(length);
  windowGainRange(plan, 0, frames, 0, gain);
  return gain;
}

/**
 * inverseWindowGain for output samples [from, from + out.length) of a centred ISTFT made
 * of frames [firstFrame, endFrame) only (a block of a longer signal: near its ends fewer
 * frames overlap). Σ_t w²[n − t·hop] runs over the frames in increasing order, so a
 * sample gets bit-identical gains from every call whose frames cover it alike.
 */
export function windowGainRange(plan: StftPlan, firstFrame: number, endFrame: number, from: number, out: Float64Array): void {
  const { window, hopLength, nFft } = plan;
  const pad = nFft >> 1;
  const tiny = 1.1754943508222875e-38; // float32's smallest normal, librosa's threshold
  for (let i = 0; i < out.length; i++) {
    const p = from + i + pad; // position in the centred-padded signal; frame t covers [t·hop, t·hop + nFft)
    const first = Math.max(firstFrame, Math.floor((p - nFft) / hopLength) + 1);
    const last = Math.min(endFrame - 1, Math.floor(p / hopLength));
    let s = 0;
    for (let t = first; t <= last; t++) {
      const w = window[p - t * hopLength];
      s += w * w;
    }
    out[i] = s > tiny ? 1 / s : 0;
  }
}

/**
 * Overlap-add the windowed inverse FFT of every frame of spec into `padded` (which is
 * cleared first; length ≥ nFft + hop·(frames − 1) samples are touched, the rest stays 0).
 */
export function overlapAdd(plan: StftPlan, spec: ComplexSpectrogram, padded: Float64Array): void {
  const { nFft, hopLength, window, frame, bins } = plan;
  padded.fill(0);
  for (let t = 0; t < spec.frames; t++) {
    plan.fft.inverse(spec.re, spec.im, t * bins, frame);
    const start = t * hopLength;
    const stop = Math.min(nFft, padded.length - start);
    for (let j = 0; j < stop; j++) padded[start + j] += frame[j] * window[j];
  }
}

/** The output length of an ISTFT when none is asked for: hop·(frames − 1), as librosa. */
export function defaultSignalLength(frames: number, hopLength: number): number {
  return hopLength * (frames - 1);
}

/**
 * Inverse STFT (centred frames): overlap-add, divide by the window's sum of squares and
 * drop the nFft/2 padding. `length` trims or zero-extends the result to that many samples.
 * Library entry point: `cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features.
 */
export function istft(
  spec: ComplexSpectrogram,
  cfg: Readonly<FeatureConfig> = DEFAULT_FEATURE_CONFIG,
  options: { length?: number } = {},
): Float32Array {
  const plan = stftPlan(cfg);
  if (spec.bins !== plan.bins) {
    throw new VoiceswapError(`istft: the spectrogram has ${spec.bins} bins but nFft ${plan.nFft} needs ${plan.bins}`);
  }
  const length = options.length ?? defaultSignalLength(spec.frames, plan.hopLength);
  if (!Number.isInteger(length) || length < 0) throw new VoiceswapError(`istft: invalid output length ${length}`);
  const pad = plan.nFft >> 1;
  const padded = new Float64Array(Math.max(length + 2 * pad, plan.nFft + plan.hopLength * (spec.frames - 1)));
  overlapAdd(plan, spec, padded);
  const gain = inverseWindowGain(plan, spec.frames, length);
  const y = new Float32Array(length);
  for (let i = 0; i < length; i++) y[i] = padded[pad + i] * gain[i];
  return y;
}
