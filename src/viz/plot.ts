/**
 * Shared plotting pieces: tick choice and formatting, and drawing of frames, ticks,
 * axis labels and titles on a canvas. Geometry is in whole pixels with y growing down.
 */
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { fontSpec } from './fonts.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A tick: its pixel coordinate along the axis and its label. */
export interface Tick {
  position: number;
  label: string;
}

export const STYLE = Object.freeze({
  background: '#ffffff',
  ink: '#1f1f1f',
  mutedInk: '#555555',
  noData: '#eeeeee',
  tickFontPx: 13,
  labelFontPx: 14,
  titleFontPx: 16,
  tickLengthPx: 5,
  /** Room between a tick mark and its label. */
  tickPadPx: 3,
  /** Outer margin of the whole figure. */
  marginPx: 12,
});

/** The 1-2-5 step that puts at most maxTicks ticks on a span (at least one step). */
export function niceStep(span: number, maxTicks: number): number {
  const rough = span / Math.max(1, maxTicks);
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const decade = 10 ** Math.floor(Math.log10(rough));
  const mantissa = [1, 2, 2.5, 5, 10].find((m) => m * decade >= rough * (1 - 1e-9)) ?? 10;
  return mantissa * decade;
}

/** Multiples of a nice step inside [lo, hi], at most maxTicks of them (or one, for a point). */
export function niceTicks(lo: number, hi: number, maxTicks: number): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(hi - lo, maxTicks);
  const ticks: number[] = [];
  const eps = step * 1e-9;
  for (let k = Math.ceil((lo - eps) / step); k * step <= hi + eps; k++) {
    // toPrecision drops float dust (3 * 0.1 = 0.30000000000000004); + 0 turns -0 into 0.
    ticks.push(Number((k * step).toPrecision(12)) + 0);
  }
  return ticks;
}

/** The fewest decimals that write `step` exactly (2.5 -> 1, 0.25 -> 2, 200 -> 0). */
export function stepDecimals(step: number): number {
  for (let d = 0; d < 8; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 8;
}

/** A tick value written with the decimals its step needs, and never as "-0". */
export function formatTick(value: number, step: number): string {
  const text = value.toFixed(stepDecimals(step));
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/**
 * Ticks for a log axis over [lo, hi] (both > 0): 1-2-5 per decade when that fits,
 * else powers of ten, else (a range inside one decade) plain nice values.
 */
export function logTicks(lo: number, hi: number, maxTicks: number): number[] {
  const within = (mantissas: number[]): number[] => {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mantissas) {
        const v = m * 10 ** e;
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
      }
    }
    return ticks;
  };
  const dense = within([1, 2, 5]);
  if (dense.length >= 2 && dense.length <= maxTicks) return dense;
  const decades = within([1]);
  if (decades.length >= 2) {
    const every = Math.ceil(decades.length / Math.max(1, maxTicks));
    return decades.filter((_, i) => i % every === 0);
  }
  return niceTicks(lo, hi, maxTicks).filter((v) => v > 0);
}

/** Label for a tick on a log axis: plain digits in a readable range, else exponent form. */
export function formatLogTick(value: number): string {
  if (value >= 1e-3 && value < 1e5) return String(Number(value.toPrecision(6)));
  return value.toExponential(0).replace('e+', 'e');
}

/**
 * Keep candidates in priority order while each stays at least minGap pixels from all kept
 * ones, then sort by position: the way to label an axis whose nice values are not evenly
 * spaced (a mel frequency axis).
 */
export function spacedTicks(candidates: Tick[], minGap: number): Tick[] {
  const kept: Tick[] = [];
  for (const c of candidates) {
    if (kept.every((k) => Math.abs(k.position - c.position) >= minGap)) kept.push(c);
  }
  return kept.sort((a, b) => a.position - b.position);
}

/** A scratch context for measuring text before the figure size is known. */
let measurer: SKRSContext2D | undefined;
export function textWidth(text: string, sizePx: number): number {
  measurer ??= createCanvas(8, 8).getContext('2d');
  measurer.font = fontSpec(sizePx);
  return Math.ceil(measurer.measureText(text).width);
}

export function newFigure(width: number, height: number): { canvas: Canvas; ctx: SKRSContext2D } {
  const canvas = createCanvas(Math.round(width), Math.round(height));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = STYLE.background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  return { canvas, ctx };
}

export function encodePng(canvas: Canvas): Uint8Array {
  const png = canvas.encodeSync('png');
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

export function drawText(
  ctx: SKRSContext2D,
  text: string,
  x: number,
  y: number,
  sizePx: number,
  align: 'left' | 'right' | 'center',
  baseline: 'top' | 'middle' | 'bottom',
  color: string = STYLE.ink,
): void {
  ctx.font = fontSpec(sizePx);
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = baseline;
  ctx.fillText(text, x, y);
}

/** Text rotated a quarter turn anticlockwise, centred on (x, y): a y-axis label. */
export function drawVerticalText(ctx: SKRSContext2D, text: string, x: number, y: number, sizePx: number): void {
  ctx.save();
  ctx.translate(x, y);
  ctx.rotate(-Math.PI / 2);
  drawText(ctx, text, 0, 0, sizePx, 'center', 'middle');
  ctx.restore();
}

/** A one-pixel frame just outside the box, so it never covers plotted pixels. */
export function drawFrame(ctx: SKRSContext2D, box: Box): void {
  ctx.strokeStyle = STYLE.ink;
  ctx.lineWidth = 1;
  ctx.strokeRect(box.x - 0.5, box.y - 0.5, box.width + 1, box.height + 1);
}

/** Tick marks below the box, with labels under them unless withLabels is false. */
export function drawXTicks(ctx: SKRSContext2D, box: Box, ticks: Tick[], withLabels: boolean): void {
  const base = box.y + box.height + 1;
  ctx.strokeStyle = STYLE.ink;
  ctx.lineWidth = 1;
  for (const tick of ticks) {
    const x = Math.round(tick.position) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, base);
    ctx.lineTo(x, base + STYLE.tickLengthPx);
    ctx.stroke();
    if (withLabels) {
      drawText(ctx, tick.label, x, base + STYLE.tickLengthPx + STYLE.tickPadPx, STYLE.tickFontPx, 'center', 'top');
    }
  }
}

/** Tick marks on the left or right side of the box, labelled outward. */
export function drawYTicks(ctx: SKRSContext2D, box: Box, ticks: Tick[], side: 'left' | 'right', withLabels = true): void {
  const base = side === 'left' ? box.x - 1 : box.x + box.width + 1;
  const dir = side === 'left' ? -1 : 1;
  ctx.strokeStyle = STYLE.ink;
  ctx.lineWidth = 1;
  for (const tick of ticks) {
    const y = Math.round(tick.position) + 0.5;
    ctx.beginPath();
    ctx.moveTo(base, y);
    ctx.lineTo(base + dir * STYLE.tickLengthPx, y);
    ctx.stroke();
    if (withLabels) {
      const x = base + dir * (STYLE.tickLengthPx + STYLE.tickPadPx);
      drawText(ctx, tick.label, x, y, STYLE.tickFontPx, side === 'left' ? 'right' : 'left', 'middle');
    }
  }
}

/** Room a y axis needs left of its plot: tick marks, the widest label, the rotated axis title. */
export function yAxisWidth(labels: string[]): number {
  const widest = Math.max(0, ...labels.map((l) => textWidth(l, STYLE.tickFontPx)));
  return STYLE.tickLengthPx + STYLE.tickPadPx + widest + 8 + STYLE.labelFontPx + 2;
}

/** Room an x axis needs under its plot: tick marks, labels and the axis title. */
export function xAxisHeight(): number {
  return STYLE.tickLengthPx + STYLE.tickPadPx + STYLE.tickFontPx + 8 + STYLE.labelFontPx + 2;
}

/** Truncate text with an ellipsis so it fits maxWidth pixels (long file paths as titles). */
export function fitText(text: string, sizePx: number, maxWidth: number): string {
  if (textWidth(text, sizePx) <= maxWidth) return text;
  let keep = text.length;
  while (keep > 1 && textWidth(`…${text.slice(text.length - keep)}`, sizePx) > maxWidth) keep--;
  // Keep the end: for a path the file name is the informative part.
  return `…${text.slice(text.length - keep)}`;
}
