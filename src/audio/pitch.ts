/**
 * Fundamental-frequency tracking with YIN (de Cheveigné & Kawahara, 2002) and F0
 * statistics for evaluation.
 *
 * Per frame (centred on sample t·hop, like the STFT frames, zero outside the signal):
 *   d(τ)  = Σ_{j<W} (x_j − x_{j+τ})²   computed as E(0) + E(τ) − 2·r(τ) with r from one FFT,
 *   d'(τ) = d(τ) · τ / Σ_{k=1..τ} d(k)   (cumulative-mean-normalised difference, d'(0) = 1),
 * the period is the first τ in [sr/fMax, sr/fMin] where d' dips below `threshold`, moved
 * to the bottom of that dip and refined by parabolic interpolation. A frame is voiced
 * when such a dip exists and its energy is within `silenceDb` of the loudest frame;
 * otherwise it is unvoiced (F0 = 0). d' at the dip measures aperiodicity: ~0 for a clean
 * periodic signal, ~1 for noise, so the threshold is the voicing decision.
 */
import { RealFft } from './rfft.js';
import { frameCount, type FeatureConfig } from './config.js';
import { VoiceswapError } from '../errors.js';

export interface F0Config {
  sampleRate: number;
  /** Frame hop in samples (128 at 22.05 kHz = 5.8 ms, the MCD frame rate, so one DTW path serves both). */
  hopLength: number;
  /** Search range in Hz. */
  fMinHz: number;
  fMaxHz: number;
  /** YIN's absolute threshold: the first dip of d' below it gives the period (guards against octave-too-low errors). */
  dipThreshold: number;
  /** A frame is voiced when d' at the chosen period is below this (the voicing decision). */
  voicingThreshold: number;
  /** Frames more than this many dB below the loudest frame are unvoiced. */
  silenceDb: number;
}

export const DEFAULT_F0_CONFIG: Readonly<F0Config> = Object.freeze({
  sampleRate: 22050,
  hopLength: 128,
  fMinHz: 80,
  fMaxHz: 500,
  dipThreshold: 0.1,
  voicingThreshold: 0.35,
  silenceDb: 40,
});

export interface F0Track {
  /** F0 per frame in Hz, 0 where unvoiced. */
  f0Hz: Float64Array;
  /** 1 where voiced. */
  voiced: Uint8Array;
  /** d' at the chosen lag (the global minimum over the search range when unvoiced): 0 = periodic, ~1 = noise. */
  aperiodicity: Float64Array;
  hopLength: number;
  sampleRate: number;
}

interface YinPlan {
  /** Integration window W in samples. */
  window: number;
  minLag: number;
  maxLag: number;
  fft: RealFft;
}

function planFor(cfg: Readonly<F0Config>): YinPlan {
  const { sampleRate, fMinHz, fMaxHz } = cfg;
  if (!(fMinHz > 0 && fMaxHz > fMinHz && fMaxHz < sampleRate / 4)) {
    throw new VoiceswapError(`F0 search range must satisfy 0 < fMin < fMax < sampleRate/4, got ${fMinHz}..${fMaxHz} Hz at ${sampleRate} Hz`);
  }
  for (const key of ['dipThreshold', 'voicingThreshold'] as const) {
    if (!(cfg[key] > 0 && cfg[key] < 1)) throw new VoiceswapError(`F0 ${key} must be in (0, 1), got ${cfg[key]}`);
  }
  if (!Number.isInteger(cfg.hopLength) || cfg.hopLength < 1) throw new VoiceswapError(`F0 hop must be a positive integer, got ${cfg.hopLength}`);
  const maxLag = Math.ceil(sampleRate / fMinHz);
  const minLag = Math.max(2, Math.floor(sampleRate / fMaxHz));
  // Two periods of the lowest F0: enough for a stable d(τ) even at the bottom of the range.
  const window = 2 * maxLag;
  let size = 4;
  while (size < window + maxLag) size *= 2;
  return { window, minLag, maxLag, fft: new RealFft(size) };
}

/** Prefix sums of x² over the zero-extended segment, for E(τ) = Σ_{j=τ}^{τ+W−1} x_j². */
function squaredPrefix(segment: Float64Array): Float64Array {
  const out = new Float64Array(segment.length + 1);
  for (let i = 0; i < segment.length; i++) out[i + 1] = out[i] + segment[i] * segment[i];
  return out;
}

/**
 * d'(τ) for τ = 0..maxLag of one segment (length W + maxLag) into `cmnd`; returns E(0),
 * the frame energy. r(τ) = Σ_{j<W} x_j x_{j+τ} is a circular cross-correlation of the first
 * W samples with the whole segment, exact because the FFT size is ≥ W + maxLag.
 */
function cumulativeMeanNormalizedDifference(plan: YinPlan, segment: Float64Array, scratch: YinScratch, cmnd: Float64Array): number {
  const { fft, window: W, maxLag } = plan;
  const size = fft.size;
  scratch.head.fill(0);
  scratch.head.set(segment.subarray(0, W));
  scratch.whole.fill(0);
  scratch.whole.set(segment);
  fft.forward(scratch.head, scratch.headRe, scratch.headIm);
  fft.forward(scratch.whole, scratch.wholeRe, scratch.wholeIm);
  // conj(H)·S is the spectrum of the correlation r(τ) = Σ_j h_j s_{j+τ}.
  for (let k = 0; k <= size / 2; k++) {
    const hr = scratch.headRe[k];
    const hi = scratch.headIm[k];
    const sr = scratch.wholeRe[k];
    const si = scratch.wholeIm[k];
    scratch.crossRe[k] = hr * sr + hi * si;
    scratch.crossIm[k] = hr * si - hi * sr;
  }
  fft.inverse(scratch.crossRe, scratch.crossIm, 0, scratch.correlation);
  const prefix = squaredPrefix(segment);
  const e0 = prefix[W];
  cmnd[0] = 1;
  let runningSum = 0;
  for (let tau = 1; tau <= maxLag; tau++) {
    const d = Math.max(0, e0 + (prefix[tau + W] - prefix[tau]) - 2 * scratch.correlation[tau]);
    runningSum += d;
    cmnd[tau] = runningSum > 0 ? (d * tau) / runningSum : 1;
  }
  return e0;
}

interface YinScratch {
  head: Float64Array;
  whole: Float64Array;
  headRe: Float64Array;
  headIm: Float64Array;
  wholeRe: Float64Array;
  wholeIm: Float64Array;
  crossRe: Float64Array;
  crossIm: Float64Array;
  correlation: Float64Array;
}

function scratchFor(plan: YinPlan): YinScratch {
  const n = plan.fft.size;
  const bins = n / 2 + 1;
  const f = (len: number): Float64Array => new Float64Array(len);
  return {
    head: f(n), whole: f(n), headRe: f(bins), headIm: f(bins), wholeRe: f(bins), wholeIm: f(bins),
    crossRe: f(bins), crossIm: f(bins), correlation: f(n),
  };
}

/**
 * YIN's period choice: the first dip of d' below `dipThreshold`, taken to the bottom of
 * that dip; failing that, the deepest interior minimum of d' in the range (an edge of the
 * range is not a period). Returns lag 0 when there is no interior minimum at all.
 */
function pickPeriod(cmnd: Float64Array, minLag: number, maxLag: number, dipThreshold: number): { lag: number; value: number } {
  let tau = minLag;
  while (tau <= maxLag && cmnd[tau] >= dipThreshold) tau++;
  if (tau <= maxLag) {
    while (tau < maxLag && cmnd[tau + 1] < cmnd[tau]) tau++;
  } else {
    tau = 0;
    for (let k = minLag + 1; k < maxLag; k++) {
      const isMinimum = cmnd[k] <= cmnd[k - 1] && cmnd[k] < cmnd[k + 1];
      if (isMinimum && (tau === 0 || cmnd[k] < cmnd[tau])) tau = k;
    }
    if (tau === 0) return { lag: 0, value: 1 };
  }
  return { lag: parabolicMinimum(cmnd, tau, minLag, maxLag), value: cmnd[tau] };
}

/** Vertex of the parabola through (τ−1, τ, τ+1): sub-sample period, which matters above ~200 Hz. */
function parabolicMinimum(y: Float64Array, tau: number, lo: number, hi: number): number {
  if (tau <= lo || tau >= hi) return tau;
  const a = y[tau - 1];
  const b = y[tau];
  const c = y[tau + 1];
  const curvature = a - 2 * b + c;
  if (curvature <= 0) return tau;
  const shift = (0.5 * (a - c)) / curvature;
  return tau + Math.max(-1, Math.min(1, shift));
}

/** F0 track of x (which must be at cfg.sampleRate): one frame per hop, as many as the STFT has. */
export function trackF0(x: Float32Array, cfg: Readonly<F0Config> = DEFAULT_F0_CONFIG): F0Track {
  const plan = planFor(cfg);
  const frames = frameCount(x.length, cfg.hopLength);
  const span = plan.window + plan.maxLag;
  const half = Math.floor(span / 2);
  const segment = new Float64Array(span);
  const cmnd = new Float64Array(plan.maxLag + 1);
  const scratch = scratchFor(plan);
  const energy = new Float64Array(frames);
  const lags = new Float64Array(frames);
  const aperiodicity = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    const start = t * cfg.hopLength - half;
    for (let j = 0; j < span; j++) {
      const i = start + j;
      segment[j] = i >= 0 && i < x.length ? x[i] : 0;
    }
    energy[t] = cumulativeMeanNormalizedDifference(plan, segment, scratch, cmnd);
    const { lag, value } = energy[t] > 0 ? pickPeriod(cmnd, plan.minLag, plan.maxLag, cfg.dipThreshold) : { lag: 0, value: 1 };
    lags[t] = lag;
    aperiodicity[t] = value;
  }
  let loudest = 0;
  for (const e of energy) loudest = Math.max(loudest, e);
  const gate = loudest * 10 ** (-cfg.silenceDb / 10);
  const f0Hz = new Float64Array(frames);
  const voiced = new Uint8Array(frames);
  for (let t = 0; t < frames; t++) {
    if (lags[t] > 0 && aperiodicity[t] < cfg.voicingThreshold && energy[t] > 0 && energy[t] >= gate) {
      voiced[t] = 1;
      f0Hz[t] = cfg.sampleRate / lags[t];
    }
  }
  return { f0Hz, voiced, aperiodicity, hopLength: cfg.hopLength, sampleRate: cfg.sampleRate };
}

/** Median of the values (NaN for none). */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

/** F0 values of the voiced frames among `frames` (all frames when omitted). */
export function voicedF0(track: F0Track, frames?: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  const visit = (t: number): void => {
    if (track.voiced[t]) out.push(track.f0Hz[t]);
  };
  if (frames) for (let k = 0; k < frames.length; k++) visit(frames[k]);
  else for (let t = 0; t < track.f0Hz.length; t++) visit(t);
  return Float64Array.from(out);
}

/** Interval between two frequencies in cents (1200 per octave), positive when `hz` is above `referenceHz`. */
export function centsBetween(hz: number, referenceHz: number): number {
  return 1200 * Math.log2(hz / referenceHz);
}

/**
 * The front end's pitch range: from low male (60 Hz) to high female speech (500 Hz).
 * Wider than evaluation's 80..500 because a conversion must keep a deep voice voiced.
 */
export const PITCH_RANGE_HZ = Object.freeze({ min: 60, max: 500 });

/**
 * The front end's voicing decision: more lenient than evaluation's 0.35, so that creaky and
 * breathy frames a listener hears as voiced get harmonics (the cleanup removes the isolated
 * blips this lets in). On samples/dev with the same model it raised bob -> alice voicing
 * agreement from 0.878 to 0.890 and brought its ln-F0 spread from 0.100 to 0.075 (alice: 0.072).
 */
export const FRONT_END_VOICING_THRESHOLD = 0.5;

/**
 * The tracker settings of the conversion front end for audio analysed with `features`:
 * one F0 per log-mel frame (the feature hop), YIN's dip threshold as in DEFAULT_F0_CONFIG.
 */
export function frontEndF0Config(features: Readonly<FeatureConfig>): F0Config {
  return {
    ...DEFAULT_F0_CONFIG,
    sampleRate: features.sampleRate,
    hopLength: features.hopLength,
    fMinHz: PITCH_RANGE_HZ.min,
    fMaxHz: PITCH_RANGE_HZ.max,
    voicingThreshold: FRONT_END_VOICING_THRESHOLD,
  };
}

/** How `cleanPitchTrack` repairs a raw YIN track; all lengths in frames. */
export interface PitchCleanup {
  /** Half-width of the window whose median F0 a frame's octave is judged against (~0.3 s). */
  octaveWindow: number;
  /** Voiced runs shorter than this are unvoiced (a click or a plosive's burst, not a vowel). */
  minVoicedRun: number;
  /** Unvoiced gaps up to this long between voiced runs are bridged (a glottal irregularity, not a consonant). */
  maxBridgedGap: number;
}

export const DEFAULT_PITCH_CLEANUP: Readonly<PitchCleanup> = Object.freeze({ octaveWindow: 25, minVoicedRun: 3, maxBridgedGap: 2 });

/**
 * Repairs what YIN gets wrong on real recordings, in place:
 *  1. octave jumps: a frame near twice or half the median of its neighbourhood is moved
 *     by an octave (creaky and breathy voice, and telephone speech without its
 *     fundamental, make YIN pick a multiple or a fraction of the period);
 *  2. isolated voiced blips shorter than minVoicedRun become unvoiced;
 *  3. short unvoiced gaps inside voicing are bridged by log-linear interpolation;
 *  4. a 3-frame median smooths single-frame jitter inside voiced runs.
 */
export function cleanPitchTrack(track: F0Track, cleanup: Readonly<PitchCleanup> = DEFAULT_PITCH_CLEANUP): F0Track {
  const { f0Hz, voiced } = track;
  const n = f0Hz.length;
  const raw = Float64Array.from(f0Hz);
  for (let t = 0; t < n; t++) {
    if (!voiced[t]) continue;
    const around: number[] = [];
    for (let u = Math.max(0, t - cleanup.octaveWindow); u <= Math.min(n - 1, t + cleanup.octaveWindow); u++) if (voiced[u]) around.push(raw[u]);
    const reference = median(around);
    const ratio = raw[t] / reference;
    if (ratio > 1.6 && ratio < 2.5) f0Hz[t] = raw[t] / 2;
    else if (ratio < 1 / 1.6 && ratio > 1 / 2.5) f0Hz[t] = raw[t] * 2;
  }
  forEachRun(voiced, 1, (from, to) => {
    if (to - from < cleanup.minVoicedRun) for (let t = from; t < to; t++) ((voiced[t] = 0), (f0Hz[t] = 0));
  });
  forEachRun(voiced, 0, (from, to) => {
    if (from === 0 || to === n || to - from > cleanup.maxBridgedGap) return;
    const a = Math.log(f0Hz[from - 1]);
    const b = Math.log(f0Hz[to]);
    for (let t = from; t < to; t++) {
      voiced[t] = 1;
      f0Hz[t] = Math.exp(a + ((b - a) * (t - from + 1)) / (to - from + 1));
    }
  });
  const smoothed = Float64Array.from(f0Hz);
  for (let t = 1; t < n - 1; t++) {
    if (voiced[t - 1] && voiced[t] && voiced[t + 1]) smoothed[t] = median([f0Hz[t - 1], f0Hz[t], f0Hz[t + 1]]);
  }
  f0Hz.set(smoothed);
  return track;
}

/** Calls visit(from, to) for every maximal run of frames whose flag equals `value`. */
function forEachRun(flags: Uint8Array, value: 0 | 1, visit: (from: number, to: number) => void): void {
  let t = 0;
  while (t < flags.length) {
    if (flags[t] !== value) {
      t++;
      continue;
    }
    const from = t;
    while (t < flags.length && flags[t] === value) t++;
    visit(from, t);
  }
}

/** The conversion front end's pitch track of x (at features.sampleRate): one frame per log-mel frame. */
export function trackPitch(x: Float32Array, features: Readonly<FeatureConfig>): F0Track {
  return cleanPitchTrack(trackF0(x, frontEndF0Config(features)));
}

/** A speaker's (or an utterance's) pitch: mean and standard deviation of ln F0 over voiced frames. */
export interface PitchStats {
  logMean: number;
  logStd: number;
  voicedFrames: number;
}

/** Pooled ln-F0 statistics of the voiced frames of several tracks; null when fewer than `minFrames` are voiced. */
export function pitchStats(tracks: readonly F0Track[], minFrames = 2): PitchStats | null {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const track of tracks) {
    for (let t = 0; t < track.f0Hz.length; t++) {
      if (!track.voiced[t]) continue;
      const v = Math.log(track.f0Hz[t]);
      n++;
      sum += v;
      sumSq += v * v;
    }
  }
  if (n < Math.max(2, minFrames)) return null;
  const logMean = sum / n;
  return { logMean, logStd: Math.sqrt(Math.max(0, sumSq / n - logMean * logMean)), voicedFrames: n };
}

/**
 * The log-Gaussian F0 transform (Kaneko & Kameoka's CycleGAN-VC, after Toda et al.):
 * ln f' = μ_to + (σ_to / σ_from)(ln f − μ_from), times `ratio` (a manual shift); 0 stays 0.
 */
export function mapF0(f0Hz: Float64Array, from: PitchStats, to: PitchStats, ratio = 1): Float64Array {
  const scale = from.logStd > 0 ? to.logStd / from.logStd : 1;
  return f0Hz.map((f) => (f > 0 ? ratio * Math.exp(to.logMean + scale * (Math.log(f) - from.logMean)) : 0));
}

/**
 * An F0 track for a new voicing decision: frames voiced in `voiced` keep their F0 from
 * `f0Hz` where it has one, and otherwise take it log-linearly interpolated between the
 * nearest frames that have one (held at the ends, `fallbackHz` when none has); frames
 * not in `voiced` are 0.
 */
export function fillPitch(f0Hz: Float64Array, voiced: ArrayLike<number>, fallbackHz: number): Float64Array {
  const n = f0Hz.length;
  if (voiced.length !== n) throw new Error(`fillPitch: ${n} F0 frames, ${voiced.length} voicing decisions`);
  // The next frame at or after t with an F0 (n: none), in one backward pass.
  const next = new Int32Array(n + 1).fill(n);
  for (let t = n - 1; t >= 0; t--) next[t] = f0Hz[t] > 0 ? t : next[t + 1];
  const out = new Float64Array(n);
  let previous = -1; // the last frame before t with an F0
  for (let t = 0; t < n; t++) {
    if (f0Hz[t] > 0) {
      if (voiced[t]) out[t] = f0Hz[t];
      previous = t;
      continue;
    }
    if (!voiced[t]) continue;
    const after = next[t];
    if (previous < 0 && after >= n) out[t] = fallbackHz;
    else if (previous < 0) out[t] = f0Hz[after];
    else if (after >= n) out[t] = f0Hz[previous];
    else {
      const a = Math.log(f0Hz[previous]);
      out[t] = Math.exp(a + ((Math.log(f0Hz[after]) - a) * (t - previous)) / (after - previous));
    }
  }
  return out;
}

/** A track of known F0 values (0 = unvoiced) at the feature frame rate, e.g. a cached or converted pitch. */
export function pitchTrackFromF0(f0Hz: Float64Array, features: Readonly<FeatureConfig>): F0Track {
  return { f0Hz, voiced: Uint8Array.from(f0Hz, (f) => (f > 0 ? 1 : 0)), aperiodicity: new Float64Array(f0Hz.length), hopLength: features.hopLength, sampleRate: features.sampleRate };
}
