/**
 * Shared plotting pieces: tick choice and formatting, and drawing of frames, ticks,
 * axis labels and titles on a canvas. Geometry is in whole pixels with y growing down.
 */
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { fontSpec } from './fonts.js';
import { STYLE, type Box, type Tick } from './ticks.js';

export { STYLE, formatLogTick, formatTick, logTicks, niceStep, niceTicks, spacedTicks, stepDecimals, type Box, type Tick } from './ticks.js';

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
