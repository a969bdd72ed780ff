import FFT from 'fft.js';

/**
 * Real FFT of even size n computed with one complex FFT of size n/2 (fft.js), which
 * measured about 25% faster than fft.js's own `realTransform` at n = 1024.
 *
 * The real signal x is read as the complex signal z[m] = x[2m] + i·x[2m+1] (which is
 * exactly its interleaved memory layout, so no copy is needed). With E and O the DFTs
 * of the even and odd samples and W = exp(-2πi/n):
 *   E[k] = (Z[k] + conj Z[h-k]) / 2,  O[k] = (Z[k] - conj Z[h-k]) / 2i,
 *   X[k] = E[k] + W^k O[k],           X[h-k] = conj(E[k] - W^k O[k]).
 * The inverse runs the same butterfly backwards; only bins 0..n/2 are stored.
 */
export class RealFft {
  readonly size: number;
  /** Number of non-redundant bins, n/2 + 1. */
  readonly bins: number;
  private readonly half: number;
  private readonly complexFft: FFT;
  private readonly cosW: Float64Array;
  private readonly sinW: Float64Array;
  /** cos/sin(2πk/n) for every bin k = 0..n/2 (the tables above stop at n/4). */
  private readonly cosBin: Float64Array;
  private readonly sinBin: Float64Array;
  private readonly spectrum: Float64Array;
  private readonly packed: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
      throw new RangeError(`FFT size must be a power of two of at least 4, got ${size}`);
    }
    this.size = size;
    this.half = size / 2;
    this.bins = this.half + 1;
    this.complexFft = new FFT(this.half);
    const quarter = this.half / 2;
    this.cosW = new Float64Array(quarter + 1);
    this.sinW = new Float64Array(quarter + 1);
    for (let k = 0; k <= quarter; k++) {
      this.cosW[k] = Math.cos((2 * Math.PI * k) / size);
      this.sinW[k] = Math.sin((2 * Math.PI * k) / size);
    }
    this.cosBin = new Float64Array(this.bins);
    this.sinBin = new Float64Array(this.bins);
    for (let k = 0; k < this.bins; k++) {
      this.cosBin[k] = Math.cos((2 * Math.PI * k) / size);
      this.sinBin[k] = Math.sin((2 * Math.PI * k) / size);
    }
    this.spectrum = new Float64Array(size);
    this.packed = new Float64Array(size);
  }

  /**
   * Forward transform of `signal` (length n). Bin k goes to re[offset+k], im[offset+k]
   * for k = 0..n/2, so frames can be written straight into a frame-major matrix.
   */
  forward(signal: Float64Array, re: Float64Array, im: Float64Array, offset = 0): void {
    const h = this.half;
    const Z = this.spectrum;
    this.complexFft.transform(Z, signal);
    re[offset] = Z[0] + Z[1];
    im[offset] = 0;
    re[offset + h] = Z[0] - Z[1];
    im[offset + h] = 0;
    const cosW = this.cosW;
    const sinW = this.sinW;
    const quarter = h >> 1;
    for (let k = 1; k <= quarter; k++) {
      const ar = Z[2 * k];
      const ai = Z[2 * k + 1];
      const br = Z[2 * (h - k)];
      const bi = Z[2 * (h - k) + 1];
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai - bi);
      const or = 0.5 * (ai + bi);
      const oi = -0.5 * (ar - br);
      // W^k O[k] with W^k = cos - i sin
      const c = cosW[k];
      const s = sinW[k];
      const tr = c * or + s * oi;
      const ti = c * oi - s * or;
      re[offset + k] = er + tr;
      im[offset + k] = ei + ti;
      re[offset + h - k] = er - tr;
      im[offset + h - k] = ti - ei;
    }
  }

  /**
   * mag[k] = |DFT(w·signal)[k]| for k < count, with w the periodic Hann window, computed
   * from the unwindowed transform. The window is 0.5 − 0.25·e^{2πin/N} − 0.25·e^{−2πin/N},
   * so windowing is the 3-tap convolution X_w[k] = 0.5·X[k] − 0.25·(X[k−1] + X[k+1])
   * (X[−1] = conj X[1], X[n/2+1] = conj X[n/2−1]). Each bin of X is built straight from
   * the packed spectrum, only as far as bin count, so neither a window pass over the
   * frame nor the unused upper bins cost anything.
   */
  hannMagnitude(signal: Float64Array, mag: Float64Array, count: number): void {
    const h = this.half;
    const Z = this.spectrum;
    this.complexFft.transform(Z, signal);
    const cosBin = this.cosBin;
    const sinBin = this.sinBin;
    // Rolling X[k−1], X[k], X[k+1].
    let curRe = Z[0] + Z[1];
    let curIm = 0;
    let nextRe = 0;
    let nextIm = 0;
    {
      const ar = Z[2];
      const ai = Z[3];
      const br = Z[2 * (h - 1)];
      const bi = -Z[2 * (h - 1) + 1];
      const dr = 0.5 * (ar - br);
      const di = 0.5 * (ai - bi);
      nextRe = 0.5 * (ar + br) + cosBin[1] * di - sinBin[1] * dr;
      nextIm = 0.5 * (ai + bi) - cosBin[1] * dr - sinBin[1] * di;
    }
    let prevRe = nextRe;
    let prevIm = -nextIm;
    for (let k = 0; k < count; k++) {
      const wr = 0.5 * curRe - 0.25 * (prevRe + nextRe);
      const wi = 0.5 * curIm - 0.25 * (prevIm + nextIm);
      mag[k] = Math.sqrt(wr * wr + wi * wi);
      prevRe = curRe;
      prevIm = curIm;
      curRe = nextRe;
      curIm = nextIm;
      // X[k+2]: E + W^j·O with E = (a + b)/2, O = (a − b)/2i, a = Z[j], b = conj Z[h−j].
      const j = k + 2;
      if (j < h) {
        const ar = Z[2 * j];
        const ai = Z[2 * j + 1];
        const br = Z[2 * (h - j)];
        const bi = -Z[2 * (h - j) + 1];
        const dr = 0.5 * (ar - br);
        const di = 0.5 * (ai - bi);
        const c = cosBin[j];
        const sn = sinBin[j];
        nextRe = 0.5 * (ar + br) + c * di - sn * dr;
        nextIm = 0.5 * (ai + bi) - c * dr - sn * di;
      } else if (j === h) {
        nextRe = Z[0] - Z[1];
        nextIm = 0;
      } else {
        nextRe = prevRe; // X[h+1] = conj X[h−1]
        nextIm = -prevIm;
      }
    }
  }

  /**
   * Inverse transform of the half spectrum at re/im[offset .. offset+n/2] into `signal`
   * (length n), scaled by 1/n like numpy's irfft. As in irfft, the imaginary parts of the
   * DC and Nyquist bins are ignored.
   */
  inverse(re: Float64Array, im: Float64Array, offset: number, signal: Float64Array): void {
    const F = this.inverseSwapped(re, im, offset);
    const n = this.size;
    for (let j = 0; j < n; j += 2) {
      signal[j] = F[j + 1];
      signal[j + 1] = F[j];
    }
  }

  /**
   * Like `inverse`, but adds the result into out[at, at + n) (clipped to out's length):
   * overlap-add without a frame buffer.
   */
  inverseAdd(re: Float64Array, im: Float64Array, offset: number, out: Float64Array, at: number): void {
    const F = this.inverseSwapped(re, im, offset);
    const stop = Math.min(this.size, out.length - at);
    let j = 0;
    for (; j + 1 < stop; j += 2) {
      out[at + j] += F[j + 1];
      out[at + j + 1] += F[j];
    }
    if (j < stop) out[at + j] += F[j + 1];
  }

  /** The inverse transform with each output pair (x[2m], x[2m+1]) stored swapped, in this.spectrum. */
  private inverseSwapped(re: Float64Array, im: Float64Array, offset: number): Float64Array {
    const h = this.half;
    const P = this.packed;
    const scale = 0.5 / h;
    // Build Z = E + iO (scaled by 1/h) with real and imaginary parts swapped, so that a
    // forward FFT computes the inverse: IDFT(Z) = swap(DFT(swap(Z))) / h.
    const x0 = re[offset];
    const xh = re[offset + h];
    P[0] = scale * (x0 - xh);
    P[1] = scale * (x0 + xh);
    const cosW = this.cosW;
    const sinW = this.sinW;
    const quarter = h >> 1;
    for (let k = 1; k <= quarter; k++) {
      const ar = re[offset + k];
      const ai = im[offset + k];
      const br = re[offset + h - k];
      const bi = -im[offset + h - k]; // conj X[h-k]
      const er = ar + br;
      const ei = ai + bi;
      const dr = ar - br;
      const di = ai - bi;
      // O = (X[k] - conj X[h-k]) · conj(W^k), conj(W^k) = cos + i sin
      const c = cosW[k];
      const s = sinW[k];
      const or = dr * c - di * s;
      const oi = dr * s + di * c;
      // Z[k] = E + iO = (er - oi) + i(ei + or); Z[h-k] = conj E + i conj O = (er + oi) + i(or - ei)
      P[2 * k] = scale * (ei + or);
      P[2 * k + 1] = scale * (er - oi);
      P[2 * (h - k)] = scale * (or - ei);
      P[2 * (h - k) + 1] = scale * (er + oi);
    }
    const F = this.spectrum;
    this.complexFft.transform(F, P);
    return F;
  }
}
