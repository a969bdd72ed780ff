/**
 * Parity of the audio front end with librosa 0.10.1 (fixtures computed by librosa; see
 * /work/shared/fixtures/frontend/README.md) and its edge cases.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, frameCount, type Spectrogram } from '../src/audio/config.js';
import { logMelSpectrogram } from '../src/audio/features.js';
import { melFilterbank, melSpectrogram, sparseMelFilterbank } from '../src/audio/mel.js';
import { RealFft } from '../src/audio/rfft.js';
import { istft, reflectIndex, stft, stftMagnitude } from '../src/audio/stft.js';
import { readWav } from '../src/audio/wav.js';
import { hannWindow } from '../src/audio/window.js';
import { VoiceswapError } from '../src/errors.js';
import { readNpy } from '../src/io/npy.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Deterministic test signal: a few partials plus a little LCG noise. */
function testSignal(n: number): Float32Array {
  const x = new Float32Array(n);
  let state = 12345;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    x[i] = 0.4 * Math.sin(0.05 * i) + 0.2 * Math.sin(0.61 * i + 1) + 0.05 * (state / 2 ** 32 - 0.5);
  }
  return x;
}

/**
 * Reference |STFT| by direct DFT, independent of the code under test: the padded signal
 * is built the way numpy.pad 'reflect' does it, by mirroring the already padded array
 * repeatedly (each pass adds at most length − 1 samples per side).
 */
function referenceMagnitude(x: Float32Array, frame: number, nFft = 1024, hop = 256): Float64Array {
  const pad = nFft / 2;
  let padded = Array.from(x, Number);
  let left = pad;
  let right = pad;
  if (x.length === 1) {
    padded = new Array(x.length + 2 * pad).fill(x[0]);
    left = right = 0;
  }
  while (left > 0 || right > 0) {
    const chunk = padded.length - 1;
    const l = Math.min(left, chunk);
    const r = Math.min(right, chunk);
    const head = padded.slice(1, l + 1).reverse();
    const tail = padded.slice(padded.length - 1 - r, padded.length - 1).reverse();
    padded = [...head, ...padded, ...tail];
    left -= l;
    right -= r;
  }
  const out = new Float64Array(nFft / 2 + 1);
  for (let k = 0; k <= nFft / 2; k++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < nFft; j++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / nFft);
      const v = padded[frame * hop + j] * w;
      re += v * Math.cos((2 * Math.PI * j * k) / nFft);
      im -= v * Math.sin((2 * Math.PI * j * k) / nFft);
    }
    out[k] = Math.hypot(re, im);
  }
  return out;
}

/** Largest |a − b| relative to max |b|: the outputs are float32, so 1e-6 of the peak is rounding. */
function relativeToPeak(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < b.length; i++) peak = Math.max(peak, Math.abs(b[i]));
  return maxAbsDiff(a, b) / peak;
}

function column(s: Spectrogram, t: number): Float64Array {
  const out = new Float64Array(s.rows);
  for (let k = 0; k < s.rows; k++) out[k] = s.data[k * s.frames + t];
  return out;
}

describe('window', () => {
  it('is the periodic Hann window of librosa/scipy', () => {
    const reference = readNpy(fixture('hann1024.npy')).data;
    expect(maxAbsDiff(hannWindow(1024), reference)).toBeLessThan(1e-7); // float32 rounding
  });
});

describe('real FFT', () => {
  it('matches a direct DFT and inverts exactly', () => {
    for (const n of [4, 8, 64, 1024]) {
      const fft = new RealFft(n);
      const x = Float64Array.from(testSignal(n));
      const re = new Float64Array(n / 2 + 1);
      const im = new Float64Array(n / 2 + 1);
      fft.forward(x, re, im);
      for (let k = 0; k <= n / 2; k++) {
        let dr = 0;
        let di = 0;
        for (let j = 0; j < n; j++) {
          dr += x[j] * Math.cos((2 * Math.PI * j * k) / n);
          di -= x[j] * Math.sin((2 * Math.PI * j * k) / n);
        }
        expect(Math.abs(re[k] - dr)).toBeLessThan(1e-9);
        expect(Math.abs(im[k] - di)).toBeLessThan(1e-9);
      }
      const back = new Float64Array(n);
      fft.inverse(re, im, 0, back);
      expect(maxAbsDiff(back, x)).toBeLessThan(1e-12);
    }
  });

  it('ignores the imaginary parts of the DC and Nyquist bins on inversion, as irfft', () => {
    const fft = new RealFft(16);
    const re = new Float64Array(9).fill(1);
    const im = new Float64Array(9);
    const plain = new Float64Array(16);
    fft.inverse(re, im, 0, plain);
    im[0] = 5;
    im[8] = -3;
    const withJunk = new Float64Array(16);
    fft.inverse(re, im, 0, withJunk);
    expect(maxAbsDiff(withJunk, plain)).toBe(0);
  });
});

describe('mel filterbank', () => {
  const reference = readNpy(fixture('melbasis.npy'));

  it('matches librosa.filters.mel (Slaney scale and norm) to 1e-6 elementwise relative', () => {
    const bank = melFilterbank();
    expect([bank.rows, bank.frames]).toEqual(reference.shape);
    // Same zero pattern, and every nonzero weight within 1e-6 of librosa's, relatively.
    let zeroMismatches = 0;
    let worstRelative = 0;
    for (let i = 0; i < bank.data.length; i++) {
      const want = reference.data[i];
      if ((bank.data[i] === 0) !== (want === 0)) zeroMismatches++;
      if (want !== 0) worstRelative = Math.max(worstRelative, Math.abs(bank.data[i] - want) / want);
    }
    expect(zeroMismatches).toBe(0);
    expect(worstRelative).toBeLessThan(1e-6);
  });

  it('has a sparse form that holds exactly the dense weights', () => {
    const dense = melFilterbank();
    const sparse = sparseMelFilterbank(DEFAULT_FEATURE_CONFIG);
    const rebuilt = new Float32Array(dense.data.length);
    for (let m = 0; m < sparse.nMels; m++) {
      for (let i = sparse.offsets[m], k = sparse.firstBin[m]; i < sparse.offsets[m + 1]; i++, k++) {
        rebuilt[m * sparse.bins + k] = sparse.weights[i];
      }
    }
    expect(maxAbsDiff(rebuilt, dense.data)).toBe(0);
    expect(sparse.maxBin).toBe(372); // 8 kHz at 22.05 kHz / 1024 is bin 371.5
  });

  it('rejects an impossible configuration with a one-line error', () => {
    expect(() => melFilterbank({ ...DEFAULT_FEATURE_CONFIG, fMax: 0 })).toThrow(VoiceswapError);
  });
});

describe.each([
  ['speech_female', 185],
  ['speech_male', 186],
  ['chirp', 44],
])('%s', (name, frames) => {
  const { samples } = readWav(fixture(`${name}.wav`));

  it('gives librosa’s frame count and |STFT| within 1e-3 absolute', () => {
    const reference = readNpy(fixture(`${name}.stftmag.npy`));
    const ours = stftMagnitude(samples);
    expect(frameCount(samples.length, 256)).toBe(frames);
    expect([ours.rows, ours.frames]).toEqual([513, frames]);
    expect(reference.shape).toEqual([513, frames]);
    expect(maxAbsDiff(ours.data, reference.data)).toBeLessThan(1e-3);
  });

  it('gives librosa’s log-mel within 1e-3 absolute', () => {
    const reference = readNpy(fixture(`${name}.logmel.npy`));
    const ours = logMelSpectrogram(samples);
    expect([ours.rows, ours.frames]).toEqual([80, frames]);
    expect(maxAbsDiff(ours.data, reference.data)).toBeLessThan(1e-3);
  });
});

describe('STFT framing', () => {
  it('mirrors like numpy.pad reflect, also when the pad is longer than the signal', () => {
    // np.pad([1, 2, 3], 7, mode='reflect') and np.pad([1, 2], 7, mode='reflect'):
    const three = [2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2];
    const two = [2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1];
    expect(three.map((_, i) => reflectIndex(i - 7, 3) + 1)).toEqual(three);
    expect(two.map((_, i) => reflectIndex(i - 7, 2) + 1)).toEqual(two);
    expect(reflectIndex(-5, 1)).toBe(0);
  });

  it('handles a signal whose length is a multiple of the hop, up to the last frame', () => {
    const x = testSignal(256 * 12);
    const s = stftMagnitude(x);
    expect(s.frames).toBe(13);
    for (const t of [0, 1, 11, 12]) {
      expect(relativeToPeak(column(s, t), referenceMagnitude(x, t))).toBeLessThan(1e-6);
    }
  });

  it.each([1, 2, 5, 100, 700])('handles a %i-sample signal as librosa does', (n) => {
    const x = testSignal(n);
    const s = stftMagnitude(x);
    expect(s.frames).toBe(1 + Math.floor(n / 256));
    for (let t = 0; t < s.frames; t++) {
      expect(relativeToPeak(column(s, t), referenceMagnitude(x, t))).toBeLessThan(1e-6);
    }
    const logMel = logMelSpectrogram(x);
    expect(logMel.frames).toBe(s.frames);
    expect(logMel.data.every(Number.isFinite)).toBe(true);
  });

  it('refuses an empty signal and a bad FFT size with a one-line error', () => {
    expect(() => logMelSpectrogram(new Float32Array(0))).toThrow(/empty signal/);
    expect(() => stftMagnitude(testSignal(100), { ...DEFAULT_FEATURE_CONFIG, nFft: 1000 })).toThrow(VoiceswapError);
  });

  it('floors silence at ln(1e-5)', () => {
    const logMel = logMelSpectrogram(new Float32Array(2048));
    expect(logMel.data.every((v) => Math.abs(v - Math.log(1e-5)) < 1e-6)).toBe(true);
  });

  it('computes the mel spectrogram as the filterbank times |STFT|', () => {
    const x = testSignal(3000);
    const mag = stftMagnitude(x);
    const bank = melFilterbank();
    const mel = melSpectrogram(x);
    let worst = 0;
    for (let m = 0; m < 80; m++) {
      for (let t = 0; t < mel.frames; t++) {
        let sum = 0;
        for (let k = 0; k < 513; k++) sum += bank.data[m * 513 + k] * mag.data[k * mag.frames + t];
        worst = Math.max(worst, Math.abs(sum - mel.data[m * mel.frames + t]) / (Math.abs(sum) + 1e-3));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('inverts with istft (window-sum-square normalised) to the original samples', () => {
    const x = testSignal(5000);
    const spec = stft(x);
    expect(spec.frames).toBe(frameCount(5000, 256));
    const y = istft(spec, DEFAULT_FEATURE_CONFIG, { length: x.length });
    expect(y.length).toBe(5000);
    expect(maxAbsDiff(y, x)).toBeLessThan(1e-6);
    expect(istft(spec).length).toBe(256 * (spec.frames - 1));
  });
});
