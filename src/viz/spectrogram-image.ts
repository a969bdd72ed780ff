/**
 * Spectrogram pictures: a time axis in seconds, a frequency axis in Hz (mel-spaced for
 * mel input), a perceptually uniform colour scale in dB with a labelled colorbar, and
 * the file name as title. Several spectrograms can share one picture, one time scale
 * and one colour scale (input vs converted, source / converted / reconstructed).
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { DEFAULT_FEATURE_CONFIG, type Spectrogram } from '../audio/config.js';
import { hzToMel } from '../audio/melscale.js';
import { VoiceswapError } from '../errors.js';
import { colormapLut, lutIndex, type ColormapName } from './colormap.js';
import {
  STYLE,
  drawFrame,
  drawText,
  drawVerticalText,
  drawXTicks,
  drawYTicks,
  encodePng,
  fitText,
  formatTick,
  newFigure,
  niceStep,
  niceTicks,
  spacedTicks,
  textWidth,
  xAxisHeight,
  yAxisWidth,
  type Box,
  type Tick,
} from './plot.js';

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

export interface SpectrogramImageOptions extends SpectrogramPictureOptions {
  /** Shown above the plot: normally the file name. */
  title: string;
}

export interface SpectrogramPanel {
  spec: Spectrogram;
  title: string;
}

export interface SpectrogramStackOptions extends SpectrogramPictureOptions {
  /** Shown above all panels. */
  title?: string;
  /** 'rows': panels one above the other (default); 'columns': side by side. */
  layout?: 'rows' | 'columns';
}

export interface PanelLayout {
  title: string;
  /** The whole axes area (the longest panel's duration in 'rows' layout). */
  axes: Box;
  /** The part of `axes` covered by this panel's frames, starting at its left edge. */
  image: Box;
  xTicks: Tick[];
  yTicks: Tick[];
  xTickLabels: boolean;
  yTickLabels: boolean;
}

export interface SpectrogramFigure {
  width: number;
  height: number;
  title?: string;
  panels: PanelLayout[];
  colorbar: Box;
  colorbarTicks: Tick[];
  colorbarLabel: string;
  /** Colour scale limits in dB: values at or below [0] get the map's low end, at or above [1] its high end. */
  range: [number, number];
  frequencyLabel: string;
}

const DEFAULT_DB_RANGE = 80;
const MAGNITUDE_FLOOR = 1e-5; // the project's log floor: -100 dB
const DB_PER_NEPER = 20 / Math.LN10;
const NO_DATA_RGB = [127, 127, 127]; // NaN cells: visibly not part of the colour scale
const COLORBAR_WIDTH_PX = 16;
const COLORBAR_GAP_PX = 16;
const PANEL_GAP_PX = 14;
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
function rowToY(box: Box, rows: number, row: number): number {
  return box.y + box.height * (1 - (row + 0.5) / rows);
}

function frequencyTicks(axis: FrequencyAxis, box: Box, rows: number): Tick[] {
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
function timeTicks(box: Box, pxPerFrame: number, secondsPerFrame: number): Tick[] {
  const frames = box.width / pxPerFrame;
  const values = niceTicks(0, (frames - 0.5) * secondsPerFrame, Math.max(2, Math.floor(box.width / 80)));
  const step = values.length > 1 ? values[1] - values[0] : niceStep(frames * secondsPerFrame, 2);
  return values
    .map((t) => ({ position: box.x + (t / secondsPerFrame + 0.5) * pxPerFrame, label: formatTick(t, step) }))
    .filter((tick) => tick.position <= box.x + box.width);
}

function colorbarTicks(box: Box, range: [number, number]): Tick[] {
  const [lo, hi] = range;
  const values = niceTicks(lo, hi, Math.min(10, Math.max(2, Math.floor(box.height / 30))));
  const step = values.length > 1 ? values[1] - values[0] : 1;
  return values.map((v) => ({ position: box.y + box.height * (1 - (v - lo) / (hi - lo)), label: formatTick(v, step) }));
}

function checkSpectrogram(spec: Spectrogram, which: string): void {
  const { rows, frames, data } = spec;
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(frames) && frames > 0)) {
    fail(`${which} has shape [${rows}, ${frames}]; need at least one row and one frame`);
  }
  if (data.length !== rows * frames) fail(`${which} has ${data.length} values, but [${rows}, ${frames}] needs ${rows * frames}`);
}

function checkOptions(o: SpectrogramPictureOptions): void {
  if (!(o.sampleRate > 0)) fail(`sampleRate must be positive, got ${o.sampleRate}`);
  if (!(o.hopLength > 0)) fail(`hopLength must be positive, got ${o.hopLength}`);
  if (o.dbRange !== undefined && !(o.dbRange > 0)) fail(`dbRange must be positive, got ${o.dbRange}`);
  if (o.range !== undefined && !(Number.isFinite(o.range[0]) && Number.isFinite(o.range[1]) && o.range[1] > o.range[0])) {
    fail(`range must be two finite numbers [low, high] with low < high, got [${o.range.join(', ')}]`);
  }
  for (const key of ['plotWidth', 'plotHeight'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 16 && v <= 8192)) fail(`${key} must be a whole number of pixels in 16..8192, got ${v}`);
  }
}

/** Pixels per frame: about 4, so a few seconds make a picture a screen wide; clamped to sane widths. */
function pixelsPerFrame(o: SpectrogramStackOptions, frames: number[]): number {
  const longest = Math.max(...frames);
  if (o.plotWidth !== undefined) return o.plotWidth / longest;
  const columns = o.layout === 'columns';
  const widest = columns ? 1600 / frames.reduce((a, b) => a + b, 0) : 1200 / longest;
  return Math.min(Math.max(4, 360 / longest), widest);
}

/** Where everything goes. Pure: the renderer and tests both read positions from here. */
export function layoutSpectrogramFigure(panels: SpectrogramPanel[], options: SpectrogramStackOptions): SpectrogramFigure {
  if (panels.length === 0) fail('no spectrograms to draw');
  checkOptions(options);
  panels.forEach((p, i) => checkSpectrogram(p.spec, panels.length > 1 ? `panel ${i + 1} (${p.title})` : 'the spectrogram'));
  const rows = panels[0].spec.rows;
  const mismatch = panels.find((p) => p.spec.rows !== rows);
  if (mismatch) fail(`panels must have the same number of rows: ${rows} vs ${mismatch.spec.rows} (${mismatch.title})`);

  const unit = options.valueUnit ?? (options.kind === 'mel' ? 'ln magnitude' : 'magnitude');
  const range = options.range ?? decibelRange(panels.map((p) => spectrogramDecibels(p.spec, unit)), options.dbRange ?? DEFAULT_DB_RANGE);
  const axis = frequencyAxis(options.kind, rows, options);
  const columns = options.layout === 'columns';
  const frames = panels.map((p) => p.spec.frames);
  const pxPerFrame = pixelsPerFrame(options, frames);
  const secondsPerFrame = options.hopLength / options.sampleRate;
  const plotHeight = options.plotHeight ?? Math.min(420, Math.max(180, 3 * rows));
  const imageWidths = frames.map((f) => Math.max(1, Math.round(f * pxPerFrame)));
  const axesWidths = columns ? imageWidths : imageWidths.map(() => Math.max(...imageWidths));

  // Tick labels decide the left margin, so compute them on a provisional box first.
  const probe = { x: 0, y: 0, width: axesWidths[0], height: plotHeight };
  const yLabels = frequencyTicks(axis, probe, rows).map((t) => t.label);
  const left = STYLE.marginPx + yAxisWidth(yLabels);
  const titleHeight = options.title ? STYLE.titleFontPx + 12 : 0;
  const panelTitleHeight = panels.some((p) => p.title) ? STYLE.labelFontPx + 8 : 0;
  const top = STYLE.marginPx + titleHeight;

  const layouts: PanelLayout[] = [];
  let x = left;
  let y = top;
  panels.forEach((panel, i) => {
    const last = i === panels.length - 1;
    const axes = { x, y: y + panelTitleHeight, width: axesWidths[i], height: plotHeight };
    layouts.push({
      title: panel.title,
      axes,
      image: { x: axes.x, y: axes.y, width: imageWidths[i], height: plotHeight },
      xTicks: timeTicks(axes, pxPerFrame, secondsPerFrame),
      yTicks: frequencyTicks(axis, axes, rows),
      xTickLabels: columns || last,
      yTickLabels: !columns || i === 0,
    });
    if (columns) x += axes.width + PANEL_GAP_PX + 6;
    else y = axes.y + plotHeight + STYLE.tickLengthPx + PANEL_GAP_PX;
  });

  const firstAxes = layouts[0].axes;
  const lastAxes = layouts[layouts.length - 1].axes;
  const colorbar = {
    x: lastAxes.x + lastAxes.width + COLORBAR_GAP_PX,
    y: firstAxes.y,
    width: COLORBAR_WIDTH_PX,
    height: lastAxes.y + lastAxes.height - firstAxes.y,
  };
  const cbTicks = colorbarTicks(colorbar, range);
  const cbLabelWidth = Math.max(...cbTicks.map((t) => textWidth(t.label, STYLE.tickFontPx)));
  const width = colorbar.x + colorbar.width + STYLE.tickLengthPx + STYLE.tickPadPx + cbLabelWidth + 10 + STYLE.labelFontPx + STYLE.marginPx;
  const height = lastAxes.y + lastAxes.height + xAxisHeight() + STYLE.marginPx;
  return {
    width,
    height,
    title: options.title,
    panels: layouts,
    colorbar,
    colorbarTicks: cbTicks,
    colorbarLabel: options.kind === 'mel' ? 'dB (20·log10 mel magnitude)' : 'dB (20·log10 |STFT|)',
    range,
    frequencyLabel: axis.label,
  };
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

function drawColorbar(ctx: SKRSContext2D, figure: SpectrogramFigure, colormap: ColormapName): void {
  const { colorbar: box } = figure;
  const lut = colormapLut(colormap);
  const image = ctx.createImageData(box.width, box.height);
  for (let y = 0; y < box.height; y++) {
    const k = 3 * lutIndex(1 - y / Math.max(1, box.height - 1)); // both ends of the scale shown exactly
    for (let x = 0; x < box.width; x++) {
      image.data.set([lut[k], lut[k + 1], lut[k + 2], 255], 4 * (y * box.width + x));
    }
  }
  ctx.putImageData(image, box.x, box.y);
  drawFrame(ctx, box);
  drawYTicks(ctx, box, figure.colorbarTicks, 'right');
  const labelX = figure.width - STYLE.marginPx - STYLE.labelFontPx / 2;
  const label = fitText(figure.colorbarLabel, STYLE.labelFontPx, box.height + 40);
  drawVerticalText(ctx, label, labelX, box.y + box.height / 2, STYLE.labelFontPx);
}

function drawFigure(panels: SpectrogramPanel[], options: SpectrogramStackOptions): Uint8Array {
  const figure = layoutSpectrogramFigure(panels, options);
  const colormap = options.colormap ?? 'magma';
  const unit = options.valueUnit ?? (options.kind === 'mel' ? 'ln magnitude' : 'magnitude');
  const { canvas, ctx } = newFigure(figure.width, figure.height);
  const plotsLeft = figure.panels[0].axes.x;
  const plotsRight = Math.max(...figure.panels.map((p) => p.axes.x + p.axes.width));

  if (figure.title) {
    const title = fitText(figure.title, STYLE.titleFontPx, figure.width - 2 * STYLE.marginPx);
    const centre = Math.min(Math.max((plotsLeft + plotsRight) / 2, STYLE.marginPx + textWidth(title, STYLE.titleFontPx) / 2), figure.width / 2);
    drawText(ctx, title, centre, STYLE.marginPx, STYLE.titleFontPx, 'center', 'top');
  }
  figure.panels.forEach((layout, i) => {
    const { spec } = panels[i];
    const { axes, image } = layout;
    if (image.width < axes.width) {
      ctx.fillStyle = STYLE.noData; // shorter than the longest panel: show where it ends
      ctx.fillRect(axes.x, axes.y, axes.width, axes.height);
    }
    const db = spectrogramDecibels(spec, unit);
    const pixels = spectrogramPixels(db, spec.rows, spec.frames, image.width, image.height, figure.range, colormap);
    const imageData = ctx.createImageData(image.width, image.height);
    imageData.data.set(pixels);
    ctx.putImageData(imageData, image.x, image.y);
    drawFrame(ctx, axes);
    drawXTicks(ctx, axes, layout.xTicks, layout.xTickLabels);
    drawYTicks(ctx, axes, layout.yTicks, 'left', layout.yTickLabels);
    if (layout.title) {
      const title = fitText(layout.title, STYLE.labelFontPx, axes.width);
      drawText(ctx, title, axes.x + axes.width / 2, axes.y - 6, STYLE.labelFontPx, 'center', 'bottom');
    }
    if (layout.xTickLabels) {
      const y = axes.y + axes.height + xAxisHeight() - STYLE.labelFontPx;
      drawText(ctx, 'Time (s)', axes.x + axes.width / 2, y, STYLE.labelFontPx, 'center', 'top');
    }
  });

  // One frequency label for the whole left edge, centred on the plots it describes.
  const first = figure.panels[0].axes;
  const last = figure.panels[figure.panels.length - 1].axes;
  const top = first.y;
  const bottom = options.layout === 'columns' ? first.y + first.height : last.y + last.height;
  const label = fitText(figure.frequencyLabel, STYLE.labelFontPx, bottom - top + 40);
  drawVerticalText(ctx, label, STYLE.marginPx + STYLE.labelFontPx / 2, (top + bottom) / 2, STYLE.labelFontPx);
  drawColorbar(ctx, figure, colormap);
  return encodePng(canvas);
}

/** One spectrogram as a PNG, with `options.title` (normally the file name) on top. */
export function renderSpectrogramPng(spec: Spectrogram, options: SpectrogramImageOptions): Uint8Array {
  return drawFigure([{ spec, title: '' }], options);
}

/**
 * Several spectrograms of the same kind in one PNG, one above the other ('rows') or side
 * by side ('columns'), on one time scale and one colour scale (computed over all panels
 * unless `range` is given), so that brighter means louder across panels.
 */
export function renderSpectrogramStackPng(panels: SpectrogramPanel[], options: SpectrogramStackOptions): Uint8Array {
  return drawFigure(panels, options);
}
