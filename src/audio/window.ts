/**
 * The periodic ("DFT-even") Hann window of length n: w[k] = 0.5 - 0.5 cos(2πk/n).
 * Periodic rather than symmetric because STFT frames tile a periodic signal model:
 * with hop n/4 its squares sum to a constant (1.5), so overlap-add inverts cleanly.
 * It is librosa's `get_window('hann', n, fftbins=True)` and scipy's `hann(n, sym=False)`.
 */
export function hannWindow(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`window length must be a positive integer, got ${n}`);
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) w[k] = 0.5 - 0.5 * Math.cos((2 * Math.PI * k) / n);
  return w;
}
