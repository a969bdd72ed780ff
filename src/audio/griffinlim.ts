/**
 * Griffin-Lim phase reconstruction with the momentum ("fast Griffin-Lim") of Perraudin,
 * Balazs and Søndergaard (2013), following librosa 0.10's `griffinlim`: each iteration
 * runs an ISTFT then an STFT, sets angles = rebuilt − (momentum / (1 + momentum)) ·
 * previous rebuilt (no momentum on the first iteration), normalises them to unit
 * magnitude and multiplies by the target magnitude. A final ISTFT gives the waveform.
 *
 * Everything runs frame-major in float64; the STFT of each frame is consumed immediately
 * by the phase update, so the rebuilt spectrogram of the current iteration is never
 * stored (only the previous one, for the momentum). Both Hann windows are applied in the
 * frequency domain (a 3-tap convolution) inside the per-bin update, so frames go from the
 * signal straight into the FFT and inverse FFTs add straight into the signal.
 *
 * Long inputs run in blocks of frames so that the work arrays (about 100 bytes per bin
 * and frame, PGHI's included) stay the size of one block, whatever the length; only the
 * float32 output grows with it. Neighbouring blocks share `overlap` frames, handed over
 * in the style of RTISI-LA (Zhu, Beauregard and Wyse, 2007):
 *  - the first `fixed` = ⌈nFft/hop⌉ − 1 shared frames keep the previous block's final
 *    angles throughout the next block's iterations. They are exactly the frames whose
 *    windows overlap the next block's first free frame, so the free frames converge
 *    against the same left neighbours that the output will have;
 *  - the other shared frames start from the previous block's angles and are refined
 *    (the previous block computed them without their right context), and PGHI continues
 *    the phases from all shared frames into the new ones;
 *  - the output is the overlap-add of each frame from the last block that refined it,
 *    divided by the window-sum of all frames: exactly the ISTFT of one spectrogram, so
 *    there is no cross-fade and nothing to click at a block boundary.
 * An input of at most one block is one block: exactly Griffin-Lim of the whole input.
 */
import { HarmonicComb } from './excitation.js';
import { DEFAULT_HARMONIC_LOCK, fundamentalPhase, lockableFrames, lockedPhasors, type HarmonicLock } from './harmonic-lock.js';
import { DEFAULT_FEATURE_CONFIG, frameCount, type FeatureConfig, type Spectrogram } from './config.js';
import { MelFrameInverter, type MelInversionMethod } from './mel-inverse.js';
import { PghiIntegrator } from './pghi.js';
import { defaultSignalLength, fillPadding, stftMagnitude, stftPlan, windowGainRange, type PadMode, type StftPlan } from './stft.js';
import { VoiceswapError } from '../errors.js';
import { Random } from '../util/random.js';

/**
 * How the phases start: uniformly random (seeded), all zero (a real spectrogram, librosa's
 * init=None), or estimated from the magnitude by phase gradient heap integration.
 */
export type PhaseInit = 'random' | 'zero' | 'pghi';

/** One finished block of a vocoder run, as reported to `onBlock`. */
export interface VocoderBlock {
  /** The block's frames [start, end). */
  start: number;
  end: number;
  /** Output frames [0, committed) are final; committed = frames after the last block. */
  committed: number;
  frames: number;
}

export interface GriffinLimOptions {
  /** Number of ISTFT/STFT round trips. */
  iterations?: number;
  /** Fast Griffin-Lim momentum α in [0, 1); 0 gives the classic algorithm. */
  momentum?: number;
  /** Seed of the random initial phases (init 'random'). */
  seed?: number;
  init?: PhaseInit;
  /** Output length in samples (default hop · (frames − 1), as librosa). */
  length?: number;
  /** The features' STFT and mel settings; default DEFAULT_FEATURE_CONFIG (library users only: code in src/ passes the model's or run's). */
  cfg?: Readonly<FeatureConfig>;
  /** Padding of the STFT inside the loop (default 'reflect', like the analysis). */
  padMode?: PadMode;
  /**
   * Frames per block (default DEFAULT_BLOCK_FRAMES; at least minBlockFrames(cfg);
   * Infinity: never split). Working memory is proportional to it.
   */
  blockFrames?: number;
  /** Called after each block (progress on long inputs). */
  onBlock?: (block: VocoderBlock) => void;
}

export const DEFAULT_GRIFFIN_LIM_ITERATIONS = 32;
export const DEFAULT_MOMENTUM = 0.99;
/**
 * PGHI by default: on the fixtures' exact magnitudes it starts at −29 dB spectral
 * convergence (random phase: −4 dB) and reaches −39 dB after 8 iterations, better than
 * librosa's random start after 100 (−32.5 dB). See bench/griffinlim.ts.
 */
export const DEFAULT_PHASE_INIT: PhaseInit = 'pghi';

/**
 * 1024 frames (11.9 s at 22.05 kHz / hop 256): about 50 MiB of work arrays, and the
 * overlap costs 3 % extra work. Typical utterances and the test fixtures fit in one
 * block, so they are vocoded in one piece.
 */
export const DEFAULT_BLOCK_FRAMES = 1024;
/**
 * Frames a block computes beyond those it hands over fixed, refined again by the next
 * block: the frames before a hand-over need some right context to settle. On 30–60 s of
 * samples/alice speech, frames around hand-overs fit 0.25 dB worse than in one block with
 * none, and within noise (±0.1 dB) with 8 to 64; 28 leave margin.
 */
const BLOCK_LOOKAHEAD = 28;

/** Frames whose windows overlap a given frame's on one side: ⌈nFft/hop⌉ − 1. */
function fixedFrames(plan: StftPlan): number {
  return Math.ceil(plan.nFft / plan.hopLength) - 1;
}

/** Frames shared by neighbouring blocks. */
function blockOverlap(plan: StftPlan): number {
  return fixedFrames(plan) + BLOCK_LOOKAHEAD;
}

/** The smallest blockFrames: each block's own frames far outnumber the shared ones. */
function smallestBlock(plan: StftPlan): number {
  return 4 * blockOverlap(plan);
}

/** The smallest blockFrames for cfg's STFT (the caller's features: no default here). */
export function minBlockFrames(cfg: Readonly<FeatureConfig>): number {
  return smallestBlock(stftPlan(cfg));
}

interface BlockSpan {
  start: number;
  end: number;
}

/**
 * Frames [0, frames) as blocks of at most blockFrames frames, each sharing `overlap`
 * frames with the next, in equal steps so that no block is much shorter than the rest
 * (in particular none ends within a few frames of the signal's end but the last).
 */
function blockSpans(frames: number, blockFrames: number, overlap: number): BlockSpan[] {
  if (frames <= blockFrames) return [{ start: 0, end: frames }];
  const count = Math.ceil((frames - overlap) / (blockFrames - overlap));
  const step = (frames - overlap) / count;
  const spans: BlockSpan[] = [];
  for (let j = 0; j < count; j++) {
    spans.push({ start: Math.round(j * step), end: j === count - 1 ? frames : Math.round((j + 1) * step) + overlap });
  }
  return spans;
}

interface RunSettings {
  iterations: number;
  momentum: number;
  init: PhaseInit;
  seed: number;
  length: number;
  padMode: PadMode;
  blockFrames: number;
  onBlock?: (block: VocoderBlock) => void;
  /** Bins whose phase is fixed, frame by frame (the vocoder's harmonic lock); none when absent. */
  lock?: FrameLock;
}

/**
 * Writes frame t's fixed phases as unit phasors into re/im[offset, offset + bins), (0, 0)
 * where the phase is free; called once per frame, in order.
 */
type FrameLock = (t: number, re: Float64Array, im: Float64Array, offset: number) => void;

/** The options with their defaults filled in, checked. */
function runSettings(plan: StftPlan, frames: number, options: GriffinLimOptions, defaults: { iterations: number; momentum: number; init: PhaseInit }): RunSettings {
  const settings: RunSettings = {
    iterations: options.iterations ?? defaults.iterations,
    momentum: options.momentum ?? defaults.momentum,
    init: options.init ?? defaults.init,
    seed: options.seed ?? 0,
    length: options.length ?? defaultSignalLength(frames, plan.hopLength),
    padMode: options.padMode ?? 'reflect',
    blockFrames: options.blockFrames ?? DEFAULT_BLOCK_FRAMES,
    onBlock: options.onBlock,
  };
  const { iterations, momentum, init, length, blockFrames } = settings;
  if (frames < 1) throw new VoiceswapError('griffinLim: the magnitude has no frames');
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new VoiceswapError(`griffinLim: iterations must be a non-negative integer, got ${iterations}`);
  }
  if (!(momentum >= 0 && momentum < 1)) throw new VoiceswapError(`griffinLim: momentum must be in [0, 1), got ${momentum}`);
  if (init !== 'random' && init !== 'zero' && init !== 'pghi') {
    throw new VoiceswapError(`griffinLim: unknown phase init '${String(init)}' (use random, zero or pghi)`);
  }
  if (!Number.isInteger(length) || length < 1) {
    throw new VoiceswapError(`griffinLim: the output length must be a positive integer, got ${length} (a single frame needs an explicit length)`);
  }
  if (frameCount(length, plan.hopLength) !== frames) {
    throw new VoiceswapError(`griffinLim: output length ${length} gives ${frameCount(length, plan.hopLength)} frames, not the magnitude's ${frames}`);
  }
  const minBlock = smallestBlock(plan);
  if (blockFrames !== Infinity && !(Number.isInteger(blockFrames) && blockFrames >= minBlock)) {
    throw new VoiceswapError(`griffinLim: blockFrames must be an integer of at least ${minBlock} (or Infinity), got ${blockFrames}`);
  }
  return settings;
}

/**
 * Hann windowing in the frequency domain, a 3-tap convolution:
 * out[k] = 0.5·A[k] − 0.25·(A[k−1] + A[k+1]) with A[−1] = conj A[1], A[h+1] = conj A[h−1].
 * The DC and Nyquist bins count by their real parts only, as the inverse real FFT reads them.
 */
function hannConvolve(re: Float64Array, im: Float64Array, o: number, h: number, outRe: Float64Array, outIm: Float64Array): void {
  outRe[o] = 0.5 * re[o] - 0.5 * re[o + 1];
  outIm[o] = 0;
  for (let k = 1; k < h; k++) {
    const prevRe = re[o + k - 1];
    const prevIm = k === 1 ? 0 : im[o + k - 1];
    const nextRe = re[o + k + 1];
    const nextIm = k === h - 1 ? 0 : im[o + k + 1];
    outRe[o + k] = 0.5 * re[o + k] - 0.25 * (prevRe + nextRe);
    outIm[o + k] = 0.5 * im[o + k] - 0.25 * (prevIm + nextIm);
  }
  outRe[o + h] = 0.5 * re[o + h] - 0.5 * re[o + h - 1];
  outIm[o + h] = 0;
}

/** The work arrays of one block, frame-major [frames][bins], sized for the largest block. */
interface BlockState {
  /** Target magnitude. */
  target: Float64Array;
  /** Current angles (target magnitude, current phase), kept for the hand-over to the next block. */
  angRe: Float64Array;
  angIm: Float64Array;
  /** Previous iteration's rebuilt (windowed) spectrum, for the momentum. */
  prevRe: Float64Array;
  prevIm: Float64Array;
  /** Current angles already convolved with the Hann window, what the inverse reads. */
  winRe: Float64Array;
  winIm: Float64Array;
  /** Fixed phases as unit phasors ((0, 0): free), when the run has a lock. */
  lockRe: Float64Array | null;
  lockIm: Float64Array | null;
}

/**
 * The phase update of one frame, given the spectrum X of its unwindowed samples:
 * rebuilt = X ⊛ Hann; a = rebuilt − β·previous; angles = S·a/|a|; and the angles are
 * stored, and stored Hann-convolved for the next inverse. All in one pass over the bins
 * with rolling neighbours, so neither window ever touches the time-domain frame. A locked
 * bin keeps its fixed phase (the momentum still sees what was rebuilt there).
 */
function updateFrame(xRe: Float64Array, xIm: Float64Array, h: number, o: number, beta: number, st: BlockState): void {
  const { target, angRe, angIm, prevRe, prevIm, winRe, winIm, lockRe, lockIm } = st;
  const eps = 1.1754943508222875e-38; // float32's smallest normal, as librosa's util.tiny
  let xPrevRe = xRe[1]; // X[−1] = conj X[1]
  let xPrevIm = -xIm[1];
  let xCurRe = xRe[0];
  let xCurIm = 0;
  let aPrevRe = 0; // A[k−2]
  let aPrevIm = 0;
  let aCurRe = 0; // A[k−1]
  let aCurIm = 0;
  for (let k = 0; k <= h; k++) {
    const xNextRe = k < h ? xRe[k + 1] : xRe[h - 1];
    const xNextIm = k < h ? xIm[k + 1] : -xIm[h - 1];
    const wr = 0.5 * xCurRe - 0.25 * (xPrevRe + xNextRe);
    const wi = 0.5 * xCurIm - 0.25 * (xPrevIm + xNextIm);
    const i = o + k;
    let nRe = 0;
    let nIm = 0;
    // A zero target (e.g. above fMax after mel inversion) gives a zero angle whatever the
    // phase, so its bin skips the update.
    if (target[i] !== 0) {
      const ar = wr - beta * prevRe[i];
      const ai = wi - beta * prevIm[i];
      prevRe[i] = wr;
      prevIm[i] = wi;
      const scale = target[i] / (Math.sqrt(ar * ar + ai * ai) + eps);
      nRe = ar * scale;
      nIm = k === 0 || k === h ? 0 : ai * scale; // the inverse reads DC and Nyquist as real
      if (lockRe !== null && (lockRe[i] !== 0 || lockIm![i] !== 0)) {
        nRe = target[i] * lockRe[i];
        nIm = target[i] * lockIm![i];
      }
    }
    angRe[i] = nRe;
    angIm[i] = nIm;
    if (k === 1) {
      winRe[o] = 0.5 * aCurRe - 0.5 * nRe;
      winIm[o] = 0;
    } else if (k > 1) {
      winRe[i - 1] = 0.5 * aCurRe - 0.25 * (aPrevRe + nRe);
      winIm[i - 1] = 0.5 * aCurIm - 0.25 * (aPrevIm + nIm);
    }
    aPrevRe = aCurRe;
    aPrevIm = aCurIm;
    aCurRe = nRe;
    aCurIm = nIm;
    xPrevRe = xCurRe;
    xPrevIm = xCurIm;
    xCurRe = xNextRe;
    xCurIm = xNextIm;
  }
  winRe[o + h] = 0.5 * aCurRe - 0.5 * aPrevRe;
  winIm[o + h] = 0;
}

/** The target magnitude of frame t into out[offset, offset + bins); called once per frame, in order. */
type FrameSource = (t: number, out: Float64Array, offset: number) => void;

/** A block's frames [start, end) and where its samples lie. */
interface Block extends BlockSpan {
  /** Leading frames that come from the previous block, and how many of them stay fixed. */
  shared: number;
  held: number;
  /** The block's signal buffer: index i is sample lo + i (negative: before the signal's start). */
  lo: number;
  bufferLength: number;
  last: boolean;
}

function blockGeometry(plan: StftPlan, spans: BlockSpan[], j: number, length: number): Block {
  const { start, end } = spans[j];
  const last = j === spans.length - 1;
  const pad = plan.nFft >> 1;
  const covered = (end - 1 - start) * plan.hopLength + plan.nFft;
  // The last block also holds the padding after the signal's end, which frames may read.
  const bufferLength = last ? Math.max(covered, length + 2 * pad - start * plan.hopLength) : covered;
  return {
    start,
    end,
    shared: j > 0 ? blockOverlap(plan) : 0,
    held: j > 0 ? fixedFrames(plan) : 0,
    lo: start * plan.hopLength - pad,
    bufferLength,
    last,
  };
}

/** Buffers of one run, sized for its largest block and reused by every block. */
interface Work extends BlockState {
  phase: Float64Array;
  pghi: PghiIntegrator | null;
  rng: Random;
  /** The block's current signal estimate, then the overlap-add of its output frames. */
  signal: Float64Array;
  gain: Float64Array;
  /** Output overlap-add of earlier blocks' frames that later frames still add to. */
  carry: Float64Array;
  re: Float64Array;
  im: Float64Array;
}

function allocateWork(plan: StftPlan, settings: RunSettings, capacity: number, bufferLength: number): Work {
  const size = capacity * plan.bins;
  const frameMajor = (): Float64Array => new Float64Array(size);
  return {
    target: frameMajor(),
    angRe: frameMajor(),
    angIm: frameMajor(),
    prevRe: frameMajor(),
    prevIm: frameMajor(),
    winRe: frameMajor(),
    winIm: frameMajor(),
    phase: frameMajor(),
    lockRe: settings.lock ? frameMajor() : null,
    lockIm: settings.lock ? frameMajor() : null,
    pghi: settings.init === 'pghi' ? new PghiIntegrator(plan.bins, capacity, plan.nFft, plan.hopLength) : null,
    rng: new Random(settings.seed),
    signal: new Float64Array(bufferLength),
    gain: new Float64Array(bufferLength),
    carry: new Float64Array(plan.nFft - plan.hopLength),
    re: new Float64Array(plan.bins),
    im: new Float64Array(plan.bins),
  };
}

/**
 * A block's initial angles: the shared frames as the previous block (frames [prevStart,
 * ·)) left them, the new ones from the source with phases from the phase init, or fixed
 * by the lock.
 */
function startBlock(w: Work, plan: StftPlan, block: Block, prevStart: number, source: FrameSource, settings: RunSettings): void {
  const { init, lock } = settings;
  const { bins } = plan;
  const { start, end, shared } = block;
  const count = end - start;
  const n = count * bins;
  const first = shared * bins;
  if (shared > 0) {
    const from = (start - prevStart) * bins;
    for (const a of [w.target, w.angRe, w.angIm, w.winRe, w.winIm, w.lockRe, w.lockIm]) a?.copyWithin(0, from, from + first);
  }
  for (let t = shared; t < count; t++) source(start + t, w.target, t * bins);
  if (lock) for (let t = shared; t < count; t++) lock(start + t, w.lockRe!, w.lockIm!, t * bins);
  if (init === 'pghi') {
    for (let i = 0; i < first; i++) w.phase[i] = Math.atan2(w.angIm[i], w.angRe[i]);
    w.pghi!.integrate(w.target, count, w.phase, shared);
  } else if (init === 'random') {
    for (let i = first; i < n; i++) w.phase[i] = 2 * Math.PI * w.rng.next();
  } else {
    w.phase.fill(0, first, n);
  }
  for (let i = first; i < n; i++) {
    const locked = w.lockRe !== null && (w.lockRe[i] !== 0 || w.lockIm![i] !== 0);
    w.angRe[i] = w.target[i] * (locked ? w.lockRe![i] : Math.cos(w.phase[i]));
    w.angIm[i] = w.target[i] * (locked ? w.lockIm![i] : Math.sin(w.phase[i]));
  }
  for (let t = shared; t < count; t++) hannConvolve(w.angRe, w.angIm, t * bins, bins - 1, w.winRe, w.winIm);
  w.prevRe.fill(0, 0, n);
  w.prevIm.fill(0, 0, n);
}

/** The Griffin-Lim iterations of one block; its first `held` frames keep their angles. */
function iterateBlock(w: Work, plan: StftPlan, block: Block, settings: RunSettings): void {
  const { nFft, hopLength, bins, fft } = plan;
  const { start, end, held, lo, bufferLength } = block;
  const { length, padMode } = settings;
  const count = end - start;
  const { signal, gain } = w;
  const validFrom = Math.max(lo, 0);
  const validTo = Math.min(lo + bufferLength, length);
  // The block's own window-sum: near an inner block edge fewer frames overlap.
  windowGainRange(plan, start, end, validFrom, gain.subarray(0, validTo - validFrom));
  const beta = settings.momentum / (1 + settings.momentum);
  for (let iter = 0; iter < settings.iterations; iter++) {
    signal.fill(0, 0, bufferLength);
    for (let t = 0; t < count; t++) fft.inverseAdd(w.winRe, w.winIm, t * bins, signal, t * hopLength);
    for (let i = validFrom - lo, g = 0; g < validTo - validFrom; i++, g++) signal[i] *= gain[g];
    fillPadding(signal, lo, bufferLength, length, padMode);
    const b = iter === 0 ? 0 : beta; // librosa has no previous rebuild on the first pass
    // STFT frame by frame, each frame's phases updated as soon as it is transformed.
    for (let t = held; t < count; t++) {
      const at = t * hopLength;
      fft.forward(signal.subarray(at, at + nFft), w.re, w.im, 0);
      updateFrame(w.re, w.im, bins - 1, t * bins, b, w);
    }
  }
}

/**
 * Overlap-add output frames [from, to) (block frames from − start …) onto the carry of
 * earlier frames, divide by the window-sum of all `frames` frames, and write the samples
 * that no later frame reaches (all up to `length` after the last block) to `out`.
 */
function writeOutput(w: Work, plan: StftPlan, block: Block, from: number, to: number, frames: number, out: Float32Array): void {
  const { nFft, hopLength, bins, fft } = plan;
  const pad = nFft >> 1;
  const length = out.length;
  const { signal, gain, carry } = w;
  const origin = from * hopLength; // position of signal[0] in the centred-padded output
  const reach = block.last ? Math.max((frames - 1 - from) * hopLength + nFft, length + 2 * pad - origin) : (to - 1 - from) * hopLength + nFft;
  signal.fill(0, 0, reach);
  if (from > 0) signal.set(carry, 0);
  for (let t = from; t < to; t++) fft.inverseAdd(w.winRe, w.winIm, (t - block.start) * bins, signal, (t - from) * hopLength);
  const first = Math.max(origin - pad, 0);
  const stop = block.last ? length : to * hopLength - pad;
  windowGainRange(plan, 0, frames, first, gain.subarray(0, stop - first));
  for (let s = first; s < stop; s++) out[s] = signal[s + pad - origin] * gain[s - first];
  if (!block.last) carry.set(signal.subarray((to - from) * hopLength, (to - from) * hopLength + carry.length));
}

/**
 * Griffin-Lim over `frames` frames whose target magnitudes come from `source`, block by
 * block (see the top of this file); returns `settings.length` samples.
 */
function griffinLimBlocks(source: FrameSource, frames: number, plan: StftPlan, settings: RunSettings): Float32Array {
  const spans = blockSpans(frames, settings.blockFrames, blockOverlap(plan));
  const blocks = spans.map((_, j) => blockGeometry(plan, spans, j, settings.length));
  const capacity = blocks.reduce((m, b) => Math.max(m, b.end - b.start), 0);
  const w = allocateWork(plan, settings, capacity, blocks.reduce((m, b) => Math.max(m, b.bufferLength), 0));
  const out = new Float32Array(settings.length);
  let committed = 0;
  for (let j = 0; j < blocks.length; j++) {
    const block = blocks[j];
    startBlock(w, plan, block, j > 0 ? blocks[j - 1].start : 0, source, settings);
    iterateBlock(w, plan, block, settings);
    // Frames up to the next block's held ones are final: the next block keeps those as they are.
    const upTo = block.last ? frames : blocks[j + 1].start + blocks[j + 1].held;
    writeOutput(w, plan, block, committed, upTo, frames, out);
    committed = upTo;
    settings.onBlock?.({ start: block.start, end: block.end, committed, frames });
  }
  return out;
}

/**
 * Waveform whose STFT magnitude approximates `magnitude` ([nFft/2 + 1, frames], linear).
 * Library entry point: `options.cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features.
 */
export function griffinLim(magnitude: Spectrogram, options: GriffinLimOptions = {}): Float32Array {
  const plan = stftPlan(options.cfg ?? DEFAULT_FEATURE_CONFIG); // the documented default, here only
  const { rows, frames, data } = magnitude;
  if (rows !== plan.bins) throw new VoiceswapError(`griffinLim: the magnitude has ${rows} rows but nFft ${plan.nFft} needs ${plan.bins}`);
  const settings = runSettings(plan, frames, options, { iterations: DEFAULT_GRIFFIN_LIM_ITERATIONS, momentum: DEFAULT_MOMENTUM, init: DEFAULT_PHASE_INIT });
  if (data.length !== rows * frames) throw new VoiceswapError(`griffinLim: the magnitude holds ${data.length} values, not ${rows} × ${frames}`);
  const source: FrameSource = (t, out, offset) => {
    for (let k = 0; k < rows; k++) out[offset + k] = data[k * frames + t];
  };
  return griffinLimBlocks(source, frames, plan, settings);
}

/**
 * Spectral convergence of `audio` against a target magnitude, in dB:
 * 20·log10(‖S − |STFT(y)|‖_F / ‖S‖_F). Lower is better.
 * Library entry point: `cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features.
 */
export function spectralConvergenceDb(
  target: Spectrogram,
  audio: Float32Array,
  cfg: Readonly<FeatureConfig> = DEFAULT_FEATURE_CONFIG,
): number {
  const rebuilt = stftMagnitude(audio, cfg);
  if (rebuilt.rows !== target.rows || rebuilt.frames !== target.frames) {
    throw new VoiceswapError(
      `spectral convergence: audio gives [${rebuilt.rows}, ${rebuilt.frames}] but the target is [${target.rows}, ${target.frames}]`,
    );
  }
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < target.data.length; i++) {
    const d = target.data[i] - rebuilt.data[i];
    diff += d * d;
    norm += target.data[i] * target.data[i];
  }
  return 10 * Math.log10(diff / norm);
}

export interface VocoderOptions extends GriffinLimOptions {
  /** How the mel is mapped back to a linear magnitude (see mel-inverse.ts). */
  melInversion?: MelInversionMethod;
  /**
   * The pitch of each frame (0 = unvoiced) and how harmonic it is (0..1): voiced frames
   * are inverted with a harmonic comb at that F0 inside every mel band (KL inversion
   * only), so harmonics the mel bank cannot resolve come back as harmonics, not a smear.
   */
  harmonics?: { f0Hz: Float64Array; weight: Float64Array };
  /**
   * With `harmonics`: which bins of voiced frames keep the phase of a periodic signal at
   * their F0 through the iterations (see harmonic-lock.ts); null leaves every phase to
   * Griffin-Lim. Default DEFAULT_HARMONIC_LOCK.
   */
  harmonicLock?: Readonly<HarmonicLock> | null;
}

/**
 * The vocoder's Griffin-Lim settings, chosen on the fixtures' log-mels (SC of the output
 * against the true |STFT|, which the vocoder never sees). A mel-inverted magnitude is not
 * the magnitude of any signal, so after a few iterations Griffin-Lim starts fitting the
 * inversion's errors: with PGHI the SC against the truth is best at 4–8 iterations while
 * the log-spectral distance still improves slowly to 16–32, and a lower momentum (0.5)
 * stays 0.3–1 dB closer to the truth than 0.99 on speech. 16 iterations balance the two.
 */
export const VOCODER_DEFAULTS = Object.freeze({ iterations: 16, momentum: 0.5, init: 'pghi' as PhaseInit });

/**
 * The vocoder every converted file goes through: exp of a natural-log magnitude mel
 * [nMels, T], mapped back to a linear-frequency magnitude by a MelFrameInverter, then
 * Griffin-Lim, both block by block (frames are inverted as the blocks need them).
 * Returns hop · (T − 1) samples unless `length` is given.
 * Library entry point: `options.cfg` defaults to DEFAULT_FEATURE_CONFIG, the documented default (README, Library); code in src/ passes the model's or run's features.
 */
export function logMelToAudio(logMel: Spectrogram, options: VocoderOptions = {}): Float32Array {
  const cfg = options.cfg ?? DEFAULT_FEATURE_CONFIG; // the documented default, here only
  const plan = stftPlan(cfg);
  const inverter = new MelFrameInverter(cfg, { method: options.melInversion });
  inverter.checkRows(logMel.rows);
  const { frames, data } = logMel;
  const settings = runSettings(plan, frames, options, VOCODER_DEFAULTS);
  const harmonics = options.harmonics;
  if (harmonics && (harmonics.f0Hz.length !== frames || harmonics.weight.length !== frames)) {
    throw new VoiceswapError(`vocoder: pitch track has ${harmonics.f0Hz.length} frames, the log-mel ${frames}`);
  }
  const comb = harmonics ? new HarmonicComb(cfg) : null;
  const lock = options.harmonicLock === undefined ? DEFAULT_HARMONIC_LOCK : options.harmonicLock;
  if (harmonics && lock) {
    const phi = fundamentalPhase(harmonics.f0Hz, cfg.hopLength, cfg.sampleRate);
    const binHz = cfg.sampleRate / cfg.nFft;
    const lockable = lockableFrames(harmonics.f0Hz, lock.edgeFrames);
    settings.lock = (t, re, im, offset) => lockedPhasors(lockable[t] ? harmonics.f0Hz[t] : 0, phi[t], binHz, plan.bins, lock, re, im, offset);
  }
  const source: FrameSource = (t, out, offset) => {
    const shape = comb && harmonics!.f0Hz[t] > 0 ? comb.linearComb(harmonics!.f0Hz[t], harmonics!.weight[t]) : undefined;
    // Rounded to float32 as the mel and magnitude arrays of melToLinear hold them.
    const s = inverter.invert((b) => Math.fround(Math.exp(data[b * frames + t])), t, shape);
    for (let k = 0; k < plan.bins; k++) out[offset + k] = Math.fround(s[k]);
  };
  return griffinLimBlocks(source, frames, plan, settings);
}
