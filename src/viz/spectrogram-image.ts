/**
 * Spectrogram pictures: a time axis in seconds, a frequency axis in Hz (mel-spaced for
 * mel input), a perceptually uniform colour scale in dB with a labelled colorbar, and
 * the file name as title. Several spectrograms can share one picture, one time scale
 * and one colour scale (input vs converted, source / converted / reconstructed).
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import type { Spectrogram } from '../audio/config.js';
import { VoiceswapError } from '../errors.js';
import { colormapLut, lutIndex, type ColormapName } from './colormap.js';
import {
  colorbarTicks,
  decibelRange,
  DEFAULT_DB_RANGE,
  frequencyAxis,
  frequencyTicks,
  spectrogramDecibels,
  spectrogramPixels,
  timeTicks,
  type SpectrogramPictureOptions,
} from './spectrogram-pixels.js';
import {
  STYLE,
  drawFrame,
  drawText,
  drawVerticalText,
  drawXTicks,
  drawYTicks,
  encodePng,
  fitText,
  newFigure,
  textWidth,
  xAxisHeight,
  yAxisWidth,
  type Box,
  type Tick,
} from './plot.js';

export {
  decibelRange,
  frequencyAxis,
  spectrogramDecibels,
  spectrogramPixels,
  type FrequencyAxis,
  type SpectrogramKind,
  type SpectrogramPictureOptions,
  type SpectrogramValueUnit,
} from './spectrogram-pixels.js';

function fail(problem: string): never {
  throw new VoiceswapError(`spectrogram picture: ${problem}`);
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

const COLORBAR_WIDTH_PX = 16;
const COLORBAR_GAP_PX = 16;
const PANEL_GAP_PX = 14;
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
