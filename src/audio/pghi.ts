/**
 * Phase Gradient Heap Integration (Průša, Balažs and Søndergaard, "A noniterative method
 * for reconstruction of phase from STFT magnitude", IEEE/ACM TASLP 25(5), 2017): an
 * initial phase for Griffin-Lim estimated from the magnitude alone.
 *
 * For a Gaussian window exp(−π m²/γ) the STFT's log-magnitude s and phase φ are linked
 * (the STFT is an analytic function up to a known factor), which with our framing
 * (frame t starts nFft/2 before sample t·hop, so bin k carries an extra (−1)^k) gives
 *   ∂φ/∂t (per frame) = (hop · nFft / γ) · ∂s/∂k + 2π · hop · k / nFft
 *   ∂φ/∂k (per bin)   = π − (γ / (hop · nFft)) · ∂s/∂t
 * A Hann window of length N behaves like a Gaussian with γ ≈ 0.25645 N². The phase is
 * integrated along these gradients from the loudest bin outwards, always extending from
 * the loudest bin reached so far (a max-priority queue), because the gradients are most reliable
 * where the magnitude is large. Bins more than `toleranceDb` below the maximum keep
 * phase 0; they are too quiet to matter and their gradients are noise.
 */

/** γ / N² of the Gaussian that best matches a Hann window of length N (Průša et al.). */
export const HANN_GAMMA_RATIO = 0.25645;

export interface PghiOptions {
  /** Window time-frequency spread γ in samples² (default 0.25645 · nFft², for Hann). */
  gamma?: number;
  /** Bins this far below the loudest one are left at phase 0 (default 60 dB). */
  toleranceDb?: number;
}

/**
 * A max-priority queue of bin indices over integer priority levels (quantised
 * log-magnitudes): O(1) push and amortised O(1) pop, where a binary heap would cost
 * O(log n) for each of the ~10⁵ bins of a few seconds of audio. Each bin is pushed at
 * most once, so the linked lists can be indexed by bin.
 */
class BucketQueue {
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private top = -1;
  size = 0;

  constructor(levels: number, capacity: number) {
    this.head = new Int32Array(levels).fill(-1);
    this.next = new Int32Array(capacity);
  }

  clear(): void {
    this.head.fill(-1);
    this.top = -1;
    this.size = 0;
  }

  push(item: number, level: number): void {
    this.next[item] = this.head[level];
    this.head[level] = item;
    if (level > this.top) this.top = level;
    this.size++;
  }

  pop(): number {
    while (this.head[this.top] < 0) this.top--;
    const item = this.head[this.top];
    this.head[this.top] = this.next[item];
    this.size--;
    return item;
  }
}

/** Priority levels across the tolerance range: fine enough that ties barely matter. */
const LEVELS = 4096;

/**
 * PGHI with its scratch owned, for up to `capacityFrames` frames, so that a long input
 * vocoded block by block allocates it once. `integrate` can continue phases that are
 * already known for the first frames (the previous block's result): those bins start the
 * integration, so the new frames carry on from them instead of starting at phase 0.
 */
export class PghiIntegrator {
  private readonly logMag: Float64Array;
  private readonly timeRate: Float64Array; // phase advance per frame
  private readonly freqRate: Float64Array; // phase advance per bin
  private readonly done: Uint8Array;
  private readonly level: Int32Array;
  private readonly seeds: BucketQueue;
  private readonly front: BucketQueue;
  private readonly gamma: number;
  private readonly toleranceDb: number;

  constructor(
    readonly bins: number,
    readonly capacityFrames: number,
    readonly nFft: number,
    readonly hopLength: number,
    options: PghiOptions = {},
  ) {
    const n = bins * capacityFrames;
    this.gamma = options.gamma ?? HANN_GAMMA_RATIO * nFft * nFft;
    this.toleranceDb = options.toleranceDb ?? 60;
    this.logMag = new Float64Array(n);
    this.timeRate = new Float64Array(n);
    this.freqRate = new Float64Array(n);
    this.done = new Uint8Array(n);
    this.level = new Int32Array(n);
    this.seeds = new BucketQueue(LEVELS, n);
    this.front = new BucketQueue(LEVELS, n);
  }

  /**
   * Phases of frames [knownFrames, frames) of a frame-major magnitude (bin k of frame t
   * at t · bins + k), written into `phase` in the same layout; phase's first
   * knownFrames frames are read as given and left unchanged.
   */
  integrate(magnitude: Float64Array, frames: number, phase: Float64Array, knownFrames = 0): void {
    const { bins, nFft, hopLength, logMag, timeRate, freqRate, done, level, seeds, front } = this;
    if (frames > this.capacityFrames) throw new Error(`PGHI: ${frames} frames exceed the capacity of ${this.capacityFrames}`);
    const n = bins * frames;
    const known = bins * knownFrames;
    let maxLog = -Infinity;
    for (let i = 0; i < n; i++) {
      logMag[i] = Math.log(magnitude[i] + 1e-300);
      if (logMag[i] > maxLog) maxLog = logMag[i];
    }
    phase.fill(0, known, n);
    if (!Number.isFinite(maxLog) || maxLog <= Math.log(1e-300)) return;
    const floor = maxLog - (this.toleranceDb / 20) * Math.LN10;

    // Phase derivatives from centred differences of the log-magnitude (one-sided at edges).
    const tScale = (hopLength * nFft) / this.gamma;
    const fScale = this.gamma / (hopLength * nFft);
    for (let t = 0; t < frames; t++) {
      for (let k = 0; k < bins; k++) {
        const i = t * bins + k;
        const kLo = k > 0 ? i - 1 : i;
        const kHi = k < bins - 1 ? i + 1 : i;
        const dk = (logMag[kHi] - logMag[kLo]) / (kHi - kLo || 1);
        const tLo = t > 0 ? i - bins : i;
        const tHi = t < frames - 1 ? i + bins : i;
        const dt = (logMag[tHi] - logMag[tLo]) / ((tHi - tLo) / bins || 1);
        timeRate[i] = tScale * dk + (2 * Math.PI * hopLength * k) / nFft;
        freqRate[i] = Math.PI - fScale * dt;
      }
    }

    // Quiet bins count as done from the start; the others are queued by loudness, both
    // in `seeds` (where each new island starts) and, once reached, in `front`. Known
    // bins are reached already, so they go straight to the front.
    seeds.clear();
    front.clear();
    const levelScale = (LEVELS - 1) / (maxLog - floor || 1);
    for (let i = 0; i < n; i++) {
      done[i] = 1;
      if (logMag[i] < floor) continue;
      level[i] = Math.floor((logMag[i] - floor) * levelScale);
      if (i < known) front.push(i, level[i]);
      else {
        done[i] = 0;
        seeds.push(i, level[i]);
      }
    }
    const reach = (to: number, from: number, rate: Float64Array, sign: number): void => {
      if (done[to]) return;
      phase[to] = phase[from] + (sign * (rate[from] + rate[to])) / 2;
      done[to] = 1;
      front.push(to, level[to]);
    };
    const spread = (): void => {
      while (front.size > 0) {
        const i = front.pop();
        const k = i % bins;
        if (k + 1 < bins) reach(i + 1, i, freqRate, 1);
        if (k > 0) reach(i - 1, i, freqRate, -1);
        if (i + bins < n) reach(i + bins, i, timeRate, 1);
        if (i >= bins) reach(i - bins, i, timeRate, -1);
      }
    };
    spread();
    while (seeds.size > 0) {
      const seed = seeds.pop();
      if (done[seed]) continue;
      done[seed] = 1; // a new island starts at its loudest bin with phase 0
      front.push(seed, level[seed]);
      spread();
    }
  }
}

/**
 * Phase estimate for a frame-major magnitude (bin k of frame t at t · bins + k),
 * returned in the same layout.
 */
export function pghiPhase(
  magnitude: Float64Array,
  bins: number,
  frames: number,
  nFft: number,
  hopLength: number,
  options: PghiOptions = {},
): Float64Array {
  const phase = new Float64Array(bins * frames);
  new PghiIntegrator(bins, frames, nFft, hopLength, options).integrate(magnitude, frames, phase);
  return phase;
}
