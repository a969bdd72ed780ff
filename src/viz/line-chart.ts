/**
 * A small line chart (loss curves over training steps): axes with nice ticks, light grid,
 * optional log y axis, and a legend. Non-finite points (and non-positive ones on a log
 * axis) break the line instead of dragging it to a wrong place.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { VoiceswapError } from '../errors.js';
import {
  STYLE,
  drawFrame,
  drawText,
  drawVerticalText,
  drawXTicks,
  drawYTicks,
  encodePng,
  fitText,
  formatLogTick,
  formatTick,
  logTicks,
  newFigure,
  niceTicks,
  textWidth,
  xAxisHeight,
  yAxisWidth,
  type Box,
  type Tick,
} from './plot.js';

export interface LineSeries {
  name: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic y axis (losses spanning decades); non-positive values are left out. */
  logY?: boolean;
  /** Size in pixels of the plot area; default 640 x 360. */
  plotWidth?: number;
  plotHeight?: number;
}

export interface LineChartLayout {
  width: number;
  height: number;
  plot: Box;
  xTicks: Tick[];
  yTicks: Tick[];
  legend: Box;
  /** Pixel coordinates of a data point (y already log-scaled when logY). */
  toPixel(x: number, y: number): [number, number];
}

/** Okabe & Ito's colour-blind-safe palette, without its yellow (too faint on white). */
export const SERIES_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];

const GRID_COLOR = '#e6e6e6';
const LEGEND_SWATCH_PX = 22;
const LEGEND_ROW_PX = STYLE.tickFontPx + 7;

function fail(problem: string): never {
  throw new VoiceswapError(`line chart: ${problem}`);
}

function plottable(x: number, y: number, logY: boolean): boolean {
  return Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0);
}

/** [lo, hi] of the plottable values, widened when empty or flat so an axis still exists. */
function dataExtent(series: LineSeries[], logY: boolean): { x: [number, number]; y: [number, number] } {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const s of series) {
    for (let i = 0; i < s.xs.length; i++) {
      const x = s.xs[i];
      const y = s.ys[i];
      if (!plottable(x, y, logY)) continue;
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    }
  }
  if (x0 > x1) [x0, x1, y0, y1] = logY ? [0, 1, 1, 10] : [0, 1, 0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = logY ? [y0 / 2, y1 * 2] : [y0 - Math.max(1, Math.abs(y0) * 0.1), y1 + Math.max(1, Math.abs(y1) * 0.1)];
  // A little air above and below, so a curve never runs along the frame.
  if (logY) {
    const pad = (Math.log10(y1) - Math.log10(y0)) * 0.05;
    return { x: [x0, x1], y: [y0 / 10 ** pad, y1 * 10 ** pad] };
  }
  const pad = (y1 - y0) * 0.05;
  return { x: [x0, x1], y: [y0 - pad, y1 + pad] };
}

function checkInput(series: LineSeries[], options: LineChartOptions): void {
  if (series.length === 0) fail('no series to draw');
  for (const s of series) {
    if (s.xs.length !== s.ys.length) fail(`series "${s.name}" has ${s.xs.length} x values but ${s.ys.length} y values`);
  }
  for (const key of ['plotWidth', 'plotHeight'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 16 && v <= 8192)) fail(`${key} must be a whole number of pixels in 16..8192, got ${v}`);
  }
}

/** Where everything goes. Pure: the renderer and tests both read positions from here. */
export function layoutLineChart(series: LineSeries[], options: LineChartOptions): LineChartLayout {
  checkInput(series, options);
  const logY = options.logY ?? false;
  const extent = dataExtent(series, logY);
  const plotWidth = options.plotWidth ?? 640;
  const plotHeight = options.plotHeight ?? 360;
  const scaleY = (y: number): number => (logY ? Math.log10(y) : y);
  const [sy0, sy1] = extent.y.map(scaleY);
  const [x0, x1] = extent.x;

  const yValues = logY ? logTicks(extent.y[0], extent.y[1], Math.max(2, Math.floor(plotHeight / 40))) : niceTicks(extent.y[0], extent.y[1], Math.max(2, Math.floor(plotHeight / 45)));
  const yStep = yValues.length > 1 ? yValues[1] - yValues[0] : 1;
  const yLabels = yValues.map((v) => (logY ? formatLogTick(v) : formatTick(v, yStep)));
  const plot = {
    x: STYLE.marginPx + yAxisWidth(yLabels),
    y: STYLE.marginPx + STYLE.titleFontPx + 12,
    width: plotWidth,
    height: plotHeight,
  };
  const toPixel = (x: number, y: number): [number, number] => [
    plot.x + ((x - x0) / (x1 - x0)) * plot.width,
    plot.y + (1 - (scaleY(y) - sy0) / (sy1 - sy0)) * plot.height,
  ];
  const yTicks = yValues.map((v, i) => ({ position: toPixel(x0, v)[1], label: yLabels[i] }));
  const xValues = niceTicks(x0, x1, Math.max(2, Math.floor(plotWidth / 90)));
  const xStep = xValues.length > 1 ? xValues[1] - xValues[0] : 1;
  const xTicks = xValues.map((v) => ({ position: toPixel(v, extent.y[0])[0], label: formatTick(v, xStep) }));

  const legendText = Math.max(...series.map((s) => textWidth(s.name, STYLE.tickFontPx)));
  const legendWidth = 8 + LEGEND_SWATCH_PX + 6 + legendText + 8;
  const legend = {
    x: plot.x + plot.width - legendWidth - 8,
    y: plot.y + 8,
    width: legendWidth,
    height: series.length * LEGEND_ROW_PX + 8,
  };
  return {
    width: plot.x + plot.width + STYLE.marginPx + 8,
    height: plot.y + plot.height + xAxisHeight() + STYLE.marginPx,
    plot,
    xTicks,
    yTicks,
    legend,
    toPixel,
  };
}

function drawSeries(ctx: SKRSContext2D, s: LineSeries, color: string, layout: LineChartLayout, logY: boolean): void {
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1.75;
  ctx.lineJoin = 'round';
  let run: [number, number][] = [];
  const flush = (): void => {
    if (run.length === 1) {
      ctx.beginPath();
      ctx.arc(run[0][0], run[0][1], 2.5, 0, 2 * Math.PI);
      ctx.fill();
    } else if (run.length > 1) {
      ctx.beginPath();
      run.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.stroke();
    }
    run = [];
  };
  for (let i = 0; i < s.xs.length; i++) {
    if (plottable(s.xs[i], s.ys[i], logY)) run.push(layout.toPixel(s.xs[i], s.ys[i]));
    else flush();
  }
  flush();
}

function drawLegend(ctx: SKRSContext2D, series: LineSeries[], legend: Box): void {
  ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
  ctx.fillRect(legend.x, legend.y, legend.width, legend.height);
  ctx.strokeStyle = '#cccccc';
  ctx.lineWidth = 1;
  ctx.strokeRect(legend.x + 0.5, legend.y + 0.5, legend.width - 1, legend.height - 1);
  series.forEach((s, i) => {
    const y = legend.y + 4 + LEGEND_ROW_PX * (i + 0.5);
    ctx.strokeStyle = SERIES_COLORS[i % SERIES_COLORS.length];
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.moveTo(legend.x + 8, y);
    ctx.lineTo(legend.x + 8 + LEGEND_SWATCH_PX, y);
    ctx.stroke();
    drawText(ctx, s.name, legend.x + 8 + LEGEND_SWATCH_PX + 6, y, STYLE.tickFontPx, 'left', 'middle');
  });
}

/** Line chart PNG of several series sharing axes (e.g. generator and discriminator losses). */
export function renderLineChartPng(series: LineSeries[], options: LineChartOptions): Uint8Array {
  const layout = layoutLineChart(series, options);
  const logY = options.logY ?? false;
  const { canvas, ctx } = newFigure(layout.width, layout.height);
  const { plot } = layout;

  ctx.strokeStyle = GRID_COLOR;
  ctx.lineWidth = 1;
  for (const t of layout.yTicks) {
    const y = Math.round(t.position) + 0.5;
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.width, y);
    ctx.stroke();
  }
  for (const t of layout.xTicks) {
    const x = Math.round(t.position) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, plot.y);
    ctx.lineTo(x, plot.y + plot.height);
    ctx.stroke();
  }

  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, plot.y, plot.width, plot.height);
  ctx.clip();
  series.forEach((s, i) => drawSeries(ctx, s, SERIES_COLORS[i % SERIES_COLORS.length], layout, logY));
  ctx.restore();

  drawFrame(ctx, plot);
  drawXTicks(ctx, plot, layout.xTicks, true);
  drawYTicks(ctx, plot, layout.yTicks, 'left');
  drawLegend(ctx, series, layout.legend);
  const title = fitText(options.title, STYLE.titleFontPx, layout.width - 2 * STYLE.marginPx);
  drawText(ctx, title, plot.x + plot.width / 2, STYLE.marginPx, STYLE.titleFontPx, 'center', 'top');
  drawText(ctx, options.xLabel, plot.x + plot.width / 2, plot.y + plot.height + xAxisHeight() - STYLE.labelFontPx, STYLE.labelFontPx, 'center', 'top');
  const yLabel = fitText(options.yLabel, STYLE.labelFontPx, plot.height + 40);
  drawVerticalText(ctx, yLabel, STYLE.marginPx + STYLE.labelFontPx / 2, plot.y + plot.height / 2, STYLE.labelFontPx);
  return encodePng(canvas);
}
