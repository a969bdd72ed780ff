/**
 * The numbers behind a spectrogram picture: values in dB, the colour range, the frequency
 * and time axes' ticks, and the coloured pixels. No canvas here (the browser page draws
 * its spectrograms with these); spectrogram-image.ts lays them out and draws the PNG.
 */
import { DEFAULT_FEATURE_CONFIG, type Spectrogram } from '../audio/config.js';
import { hzToMel } from '../audio/melscale.js';
import { VoiceswapError } from '../errors.js';
import { colormapLut, lutIndex, type ColormapName } from './colormap.js';
import { formatTick, niceStep, niceTicks, spacedTicks, STYLE, type Box, type Tick } from './ticks.js';

/** 'mel': rows are mel bands (centres as librosa places them); 'linear': rows are STFT bins 0..nFft/2. */
export type SpectrogramKind = 'mel' | 'linear';

/**
 * What the numbers in the spectrogram are. Defaults: 'ln magnitude' for mel (the
 * project's log-mel, ln(max(mel, 1e-5))), 'magnitude' for linear (|STFT|).
 */
export type SpectrogramValueUnit = 'ln magnitude' | 'magnitude' | 'dB';

export interface SpectrogramPictureOptions {
  kind: SpectrogramKind;
  sampleRate: number;
  hopLength: number;
  /** Mel filterbank edges in Hz (mel only); default the project's 0 and min(8000, sampleRate / 2). */
  fMin?: number;
  fMax?: number;
  /** FFT size (linear only); default 2 * (rows - 1). */
  nFft?: number;
  valueUnit?: SpectrogramValueUnit;
  /** Colour scale limits in dB (20 log10 magnitude); default [max - dbRange, max] over all panels. */
  range?: [number, number];
  /** Dynamic range shown when `range` is not given, in dB; default 80. */
  dbRange?: number;
  colormap?: ColormapName;
  /** Size in pixels of one panel's plot area; default about 4 px per frame and 3 px per row. */
  plotWidth?: number;
  plotHeight?: number;
}

export const DEFAULT_DB_RANGE = 80;
const MAGNITUDE_FLOOR = 1e-5; // the project's log floor: -100 dB
const DB_PER_NEPER = 20 / Math.LN10;
const NO_DATA_RGB = [127, 127, 127]; // NaN cells: visibly not part of the colour scale
/** Frequencies worth labelling on a mel axis, most telling first (octaves around 1 kHz). */
const MEL_TICK_PRIORITY_HZ = [1000, 2000, 4000, 8000, 16000, 500, 250, 0, 6000, 3000, 12000];

function fail(problem: string): never {
  throw new VoiceswapError(`spectrogram picture: ${problem}`);
}

/** The spectrogram's values in dB (20 log10 magnitude); NaN where the input is not finite. */
export function spectrogramDecibels(spec: Spectrogram, unit: SpectrogramValueUnit): Float32Array {
  const out = new Float32Array(spec.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = spec.data[i];
    if (!Number.isFinite(v)) out[i] = NaN;
    else if (unit === 'magnitude') out[i] = 20 * Math.log10(Math.max(Math.abs(v), MAGNITUDE_FLOOR));
    else if (unit === 'ln magnitude') out[i] = DB_PER_NEPER * v;
    else out[i] = v;
  }
  return out;
}

/** [max - dbRange, max] over the finite values of all arrays ([-dbRange, 0] if there are none). */
export function decibelRange(arrays: Float32Array[], dbRange: number): [number, number] {
  let max = -Infinity;
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
  if (max === -Infinity) max = 0;
  return [max - dbRange, max];
}

/** Fractional row of a frequency (row r's centre is at r, row 0 at the bottom). */
export interface FrequencyAxis {
  rowOfHz(hz: number): number;
  label: string;
  /** Frequencies to label, in the order they should win when labels would collide. */
  tickCandidatesHz(heightPx: number): number[];
}

export function frequencyAxis(kind: SpectrogramKind, rows: number, o: SpectrogramPictureOptions): FrequencyAxis {
  if (kind === 'mel') {
    const fMin = o.fMin ?? DEFAULT_FEATURE_CONFIG.fMin;
    const fMax = o.fMax ?? Math.min(DEFAULT_FEATURE_CONFIG.fMax, o.sampleRate / 2);
    if (!(fMin >= 0 && fMax > fMin)) fail(`need 0 <= fMin < fMax, got fMin ${fMin}, fMax ${fMax}`);
    if (fMax > o.sampleRate / 2 + 1e-6) fail(`fMax ${fMax} Hz is above the Nyquist frequency ${o.sampleRate / 2} Hz`);
    const lo = hzToMel(fMin);
    const hi = hzToMel(fMax);
    // Band r is centred at melFrequencies(rows + 2, fMin, fMax)[r + 1]: rows + 1 equal mel steps.
    return {
      rowOfHz: (hz) => ((hzToMel(hz) - lo) / (hi - lo)) * (rows + 1) - 1,
      label: 'Frequency (Hz, mel scale)',
      tickCandidatesHz: () => MEL_TICK_PRIORITY_HZ,
    };
  }
  const nFft = o.nFft ?? 2 * (rows - 1);
  if (!(nFft > 0) || rows > Math.floor(nFft / 2) + 1) fail(`${rows} rows do not fit an STFT of nFft ${nFft} (at most nFft/2 + 1 rows)`);
  const binHz = o.sampleRate / nFft;
  return {
    rowOfHz: (hz) => hz / binHz,
    label: 'Frequency (Hz)',
    tickCandidatesHz: (heightPx) => niceTicks(0, (rows - 0.5) * binHz, Math.max(2, Math.floor(heightPx / 45))),
  };
}

/** y pixel of a fractional row inside a box whose bottom edge is row -0.5 and top edge row rows - 0.5. */
export function rowToY(box: Box, rows: number, row: number): number {
  return box.y + box.height * (1 - (row + 0.5) / rows);
}

export function frequencyTicks(axis: FrequencyAxis, box: Box, rows: number): Tick[] {
  const candidates = axis.tickCandidatesHz(box.height);
  const step = candidates.length > 1 ? Math.abs(candidates[1] - candidates[0]) : 1;
  const ticks: Tick[] = [];
  for (const hz of candidates) {
    const row = axis.rowOfHz(hz);
    if (row < -0.5 - 1e-9 || row > rows - 0.5 + 1e-9) continue; // outside the plotted bands
    ticks.push({ position: rowToY(box, rows, row), label: formatTick(hz, step) });
  }
  return spacedTicks(ticks, 2 * STYLE.tickFontPx);
}

/** Time ticks in seconds: frame j is centred at j * hop / sampleRate (centred framing). */
export function timeTicks(box: Box, pxPerFrame: number, secondsPerFrame: number): Tick[] {
  const frames = box.width / pxPerFrame;
  const values = niceTicks(0, (frames - 0.5) * secondsPerFrame, Math.max(2, Math.floor(box.width / 80)));
  const step = values.length > 1 ? values[1] - values[0] : niceStep(frames * secondsPerFrame, 2);
  return values
    .map((t) => ({ position: box.x + (t / secondsPerFrame + 0.5) * pxPerFrame, label: formatTick(t, step) }))
    .filter((tick) => tick.position <= box.x + box.width);
}

export function colorbarTicks(box: Box, range: [number, number]): Tick[] {
  const [lo, hi] = range;
  const values = niceTicks(lo, hi, Math.min(10, Math.max(2, Math.floor(box.height / 30))));
  const step = values.length > 1 ? values[1] - values[0] : 1;
  return values.map((v) => ({ position: box.y + box.height * (1 - (v - lo) / (hi - lo)), label: formatTick(v, step) }));
}

/**
 * RGBA pixels of a spectrogram scaled to width x height, low rows at the bottom. Each
 * pixel averages the cells it covers, so a long recording shrinks without aliasing and
 * a short one grows into crisp blocks.
 */
export function spectrogramPixels(
  db: Float32Array,
  rows: number,
  frames: number,
  width: number,
  height: number,
  range: [number, number],
  colormap: ColormapName,
): Uint8ClampedArray {
  const lut = colormapLut(colormap);
  const [lo, hi] = range;
  const span = (i: number, n: number, size: number): [number, number] => {
    const a = Math.min(n - 1, Math.floor((i * n) / size));
    return [a, Math.max(a + 1, Math.min(n, Math.floor(((i + 1) * n) / size)))];
  };
  const colSpans = Array.from({ length: width }, (_, x) => span(x, frames, width));
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const [r0, r1] = span(height - 1 - y, rows, height);
    for (let x = 0; x < width; x++) {
      const [f0, f1] = colSpans[x];
      let sum = 0;
      let count = 0;
      for (let r = r0; r < r1; r++) {
        for (let f = f0; f < f1; f++) {
          const v = db[r * frames + f];
          if (!Number.isNaN(v)) {
            sum += v;
            count++;
          }
        }
      }
      const o = 4 * (y * width + x);
      if (count === 0) {
        out.set(NO_DATA_RGB, o);
      } else {
        const k = 3 * lutIndex((sum / count - lo) / (hi - lo));
        out[o] = lut[k];
        out[o + 1] = lut[k + 1];
        out[o + 2] = lut[k + 2];
      }
      out[o + 3] = 255;
    }
  }
  return out;
}

