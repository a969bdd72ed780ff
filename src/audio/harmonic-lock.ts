/**
 * Phase-locked harmonics for the vocoder's voiced frames.
 *
 * Griffin-Lim, started from PGHI, finds phases consistent with a magnitude, but a
 * mel-inverted magnitude is not the magnitude of any signal, and in converted speech the
 * phases it settles on are often not those of a periodic signal: the frame is voiced on
 * paper and comes out rough. On samples/dev converted alice -> bob with the shipped model, a
 * strict tracker found 0.87 of the input's voiced frames voiced in the output; on a real
 * telephone voice turned into bob, 0.78. The lower the target's F0, the worse.
 *
 * So where the converted F0 is known, the bins around each harmonic are given the phase a
 * periodic signal has there and keep it through the iterations; Griffin-Lim fits the other
 * bins around them. A sinusoid of phase θ at the centre of an STFT frame (window symmetric
 * about the centre, FFT referenced to the frame start) shows phase θ − πk at the bins k of
 * its main lobe; with θ = h·Φ for harmonic h, where Φ is the fundamental's phase, the
 * harmonics of every frame line up into one periodic waveform.
 *
 * Only harmonics up to DEFAULT_HARMONIC_LOCK.maxHz are locked, and not in voiced frames next
 * to an unvoiced one. Measured with the shipped model (`bash scripts/evaluate-model.sh`,
 * samples/dev; voiced share by evaluation's tracker, word errors by pocketsphinx):
 *  - this lock: voiced share 67.7% -> 74.0% (a2b) and 69.3% -> 72.0% (b2a), voicing agreement
 *    with the target 0.861 -> 0.863 and 0.929 -> 0.947; a real telephone voice turned into bob
 *    keeps 0.87 of its voiced frames instead of 0.78. It costs words: 41.3% -> 47.1% and
 *    24.0% -> 28.1% on the 15 dev sentences, 43.5% -> 46.4% and 34.8% -> 38.6% on the 68
 *    training sentences of each speaker (`convert --no-harmonic-lock` for the other side);
 *  - locking every harmonic up to fMax voiced as much and cost more words (47.9% / 27.3% on
 *    dev, frames next to unvoiced ones locked too); a minimum-phase pulse shape instead of the
 *    zero-phase one, more (50.4% / 33.1%); each harmonic's phase offset taken from PGHI at the
 *    start of a voiced stretch, 48.3% a2b on the training sentences. On those 68 sentences
 *    (word errors a2b / b2a, voiced share converted over source a2b / b2a): no lock 43.5% /
 *    34.8%, 0.85 / 1.13; this lock 46.4% / 38.6%, 0.93 / 1.18; reach 1 bin 45.2% / 36.6%,
 *    0.90 / 1.16; up to 800 Hz 46.6% / 37.5%, 0.93 / 1.18;
 *  - locking frames next to unvoiced ones too voiced the noise beside them: 0.885 of bob's loud
 *    unvoiced frames stayed unvoiced after b2a (tests/shipped-model.test.ts wants 0.9).
 */

/** Which bins of a voiced frame are locked. */
export interface HarmonicLock {
  /** Harmonics above this frequency (Hz) are left to Griffin-Lim. */
  maxHz: number;
  /** Bins within this distance (in bins) of a harmonic's frequency are locked: the core of the Hann window's main lobe (half-width 2). */
  reachBins: number;
  /**
   * A voiced frame this close (in frames) to an unvoiced one is left free: a locked frame's
   * periodic samples reach into its neighbours' windows, and would voice the noise next to it.
   */
  edgeFrames: number;
}

export const DEFAULT_HARMONIC_LOCK: Readonly<HarmonicLock> = Object.freeze({ maxHz: 1500, reachBins: 1.5, edgeFrames: 1 });

/** 1 for the frames to lock: voiced, with every frame within `edgeFrames` voiced too. */
export function lockableFrames(f0Hz: ArrayLike<number>, edgeFrames: number): Uint8Array {
  const n = f0Hz.length;
  const out = new Uint8Array(n);
  let run = 0; // voiced frames in a row up to t
  for (let t = 0; t < n; t++) {
    run = f0Hz[t] > 0 ? run + 1 : 0;
    // frame t - edgeFrames is lockable when frames t - 2·edgeFrames .. t are all voiced
    if (run > 2 * edgeFrames && t - edgeFrames >= 0) out[t - edgeFrames] = 1;
  }
  return out;
}

/**
 * The fundamental's phase Φ at each frame centre (radians): the integral of 2π·f0 over
 * time, by the trapezoid rule between frame centres; an unvoiced frame (f0 = 0) counts
 * as 0 Hz, so a voiced stretch carries on from where the last one left off.
 */
export function fundamentalPhase(f0Hz: ArrayLike<number>, hopLength: number, sampleRate: number): Float64Array {
  const phase = new Float64Array(f0Hz.length);
  const step = (Math.PI * hopLength) / sampleRate;
  for (let t = 1; t < f0Hz.length; t++) {
    const a = f0Hz[t - 1] > 0 ? f0Hz[t - 1] : 0;
    const b = f0Hz[t] > 0 ? f0Hz[t] : 0;
    phase[t] = phase[t - 1] + step * (a + b);
  }
  return phase;
}

/**
 * One frame's locked bins as unit phasors, written to re/im[offset, offset + bins);
 * (0, 0) marks a free bin. `f0` is the frame's F0 (no bin is locked when it is 0) and
 * `phi` its fundamental phase (fundamentalPhase).
 */
export function lockedPhasors(
  f0: number,
  phi: number,
  binHz: number,
  bins: number,
  lock: Readonly<HarmonicLock>,
  re: Float64Array,
  im: Float64Array,
  offset: number,
): void {
  re.fill(0, offset, offset + bins);
  im.fill(0, offset, offset + bins);
  if (!(f0 > 0)) return;
  const spacing = f0 / binHz;
  const lastBin = Math.min(bins - 2, Math.floor(lock.maxHz / binHz)); // never DC or Nyquist: the inverse reads those as real
  for (let k = 1; k <= lastBin; k++) {
    const h = Math.round(k / spacing);
    if (h < 1 || Math.abs(k - h * spacing) > lock.reachBins) continue;
    const theta = h * phi + Math.PI * k;
    re[offset + k] = Math.cos(theta);
    im[offset + k] = Math.sin(theta);
  }
}
