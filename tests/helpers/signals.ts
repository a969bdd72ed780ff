/** Deterministic test signals (tests must not depend on Math.random). */

/** Uniform noise in [-1, 1) from a tiny LCG. */
export function noise(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * Sum of `harmonics` harmonics of f(t) Hz (t in seconds) at sampleRate, phase-continuous,
 * amplitude of harmonic k given by `amplitude(k, t)` (default 1/k: a band-limited sawtooth).
 */
export function harmonicTone(
  seconds: number,
  hz: (t: number) => number,
  harmonics: number,
  sampleRate: number,
  amplitude: (k: number, t: number) => number = (k) => 1 / k,
): Float32Array {
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    let v = 0;
    for (let k = 1; k <= harmonics; k++) v += amplitude(k, t) * Math.sin(k * phase);
    out[i] = 0.3 * v;
    phase += (2 * Math.PI * hz(t)) / sampleRate;
  }
  return out;
}
