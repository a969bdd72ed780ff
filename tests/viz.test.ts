import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { GlobalFonts } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import type { Spectrogram } from '../src/audio/config.js';
import { hzToMel } from '../src/audio/melscale.js';
import { VoiceswapError } from '../src/errors.js';
import { readNpy } from '../src/io/npy.js';
import { colormapLut, colormapRgb } from '../src/viz/colormap.js';
import { registerBundledFont } from '../src/viz/fonts.js';
import { packageRoot } from '../src/util/package-root.js';
import { layoutLineChart, renderLineChartPng, SERIES_COLORS } from '../src/viz/line-chart.js';
import { formatTick, logTicks, niceTicks } from '../src/viz/plot.js';
import {
  layoutSpectrogramFigure,
  renderSpectrogramPng,
  spectrogramDecibels,
  renderSpectrogramStackPng,
  type SpectrogramImageOptions,
} from '../src/viz/spectrogram-image.js';

const OUT_DIR = mkdtempSync(join(tmpdir(), 'voiceswap-viz-'));
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const REAL_LOGMEL = join(REPO, 'tests', 'fixtures', 'speech_female.logmel.npy');

/** A PNG decoded by hand (zlib + scanline filters), independent of the canvas that wrote it. */
interface Decoded {
  width: number;
  height: number;
  rgb(x: number, y: number): [number, number, number];
}

function decodePng(png: Uint8Array): Decoded {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const idat: Uint8Array[] = [];
  let width = 0;
  let height = 0;
  let channels = 0;
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [bitDepth, colorType, , , interlace] = body.subarray(8, 13);
      expect(bitDepth).toBe(8);
      expect(interlace).toBe(0);
      channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    }
    if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? pixels[y * stride + i - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      pixels[y * stride + i] = (line[i] + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    rgb: (x, y) => {
      const o = y * stride + x * channels;
      return [pixels[o], pixels[o + 1], pixels[o + 2]];
    },
  };
}

function save(name: string, png: Uint8Array): Decoded {
  writeFileSync(join(OUT_DIR, name), png);
  return decodePng(png);
}

const MAGMA_LOW: [number, number, number] = [0, 0, 4];
const MAGMA_HIGH: [number, number, number] = [252, 253, 191];

/** A mel spectrogram at a quiet floor (ln value `floor`) with loud rows `bandRows` (ln value `peak`). */
function bandSpectrogram(rows: number, frames: number, bandRows: number[], peak = 2, floor = -10): Spectrogram {
  const data = new Float32Array(rows * frames).fill(floor);
  for (const r of bandRows) data.fill(peak, r * frames, (r + 1) * frames);
  return { data, rows, frames };
}

const MEL: Omit<SpectrogramImageOptions, 'title'> = { kind: 'mel', sampleRate: 22050, hopLength: 256, fMin: 0, fMax: 8000 };

/** Pixel rows [first, last] of spectrogram row r in a plot of given top and height (row 0 at the bottom). */
function pixelRowsOf(r: number, rows: number, top: number, height: number): [number, number] {
  return [top + Math.ceil((height * (rows - 1 - r)) / rows), top + Math.floor((height * (rows - r)) / rows) - 1];
}

function isDark(rgb: number[]): boolean {
  return rgb[0] + rgb[1] + rgb[2] < 200;
}

describe('colormap', () => {
  it('has the published end colours of magma and viridis', () => {
    expect(colormapRgb('magma', 0)).toEqual(MAGMA_LOW);
    expect(colormapRgb('magma', 1)).toEqual(MAGMA_HIGH);
    expect(colormapRgb('viridis', 0)).toEqual([68, 1, 84]);
    expect(colormapRgb('viridis', 1)).toEqual([253, 231, 37]);
    expect(colormapRgb('magma', -3)).toEqual(MAGMA_LOW);
    expect(colormapRgb('magma', 7)).toEqual(MAGMA_HIGH);
  });

  it('matches published entries of the 256-colour tables in between', () => {
    // Entries 64, 128, 192 of the published tables, as 8-bit values.
    const published = {
      magma: [[81, 18, 124], [183, 55, 121], [252, 137, 97]],
      viridis: [[59, 82, 139], [33, 145, 140], [94, 201, 98]],
    } as const;
    for (const name of ['magma', 'viridis'] as const) {
      const lut = colormapLut(name);
      [64, 128, 192].forEach((index, k) => {
        for (let c = 0; c < 3; c++) expect(Math.abs(lut[3 * index + c] - published[name][k][c])).toBeLessThanOrEqual(2);
      });
    }
  });

  it('grows steadily brighter, so brightness reads as level', () => {
    for (const name of ['magma', 'viridis'] as const) {
      const lut = colormapLut(name);
      const luma = (i: number): number => 0.2126 * lut[3 * i] + 0.7152 * lut[3 * i + 1] + 0.0722 * lut[3 * i + 2];
      for (let i = 8; i < 256; i += 8) expect(luma(i)).toBeGreaterThan(luma(i - 8));
    }
  });
});

describe('ticks', () => {
  it('picks 1-2-5 steps and writes them with the decimals they need', () => {
    expect(niceTicks(0, 2.13, 10)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    expect(niceTicks(-66, 14, 5)).toEqual([-60, -40, -20, 0]);
    expect(niceTicks(0, 2.13, 10).map((v) => formatTick(v, 0.25)).slice(0, 3)).toEqual(['0.00', '0.25', '0.50']);
    expect(formatTick(-0.0001, 0.5)).toBe('0.0');
    expect(logTicks(0.15, 12, 10)).toEqual([0.2, 0.5, 1, 2, 5, 10]);
    expect(logTicks(1e-3, 1e4, 4)).toEqual([1e-3, 1e-1, 10, 1e3]);
  });
});

describe('fonts', () => {
  it('finds the package root from the source and the compiled location, and registers the shipped font', () => {
    expect(packageRoot(join(REPO, 'src', 'viz'))).toBe(REPO);
    expect(packageRoot(join(REPO, 'dist', 'src', 'viz'))).toBe(REPO);
    expect(existsSync(join(REPO, 'assets', 'fonts', 'DejaVuSans.ttf'))).toBe(true);
    expect(registerBundledFont()).toBe(true);
    expect(GlobalFonts.has('Voiceswap Sans')).toBe(true);
  });
});

describe('renderSpectrogramPng', () => {
  const rows = 80;
  const frames = 120;
  const band = 30;
  const spec = bandSpectrogram(rows, frames, [band]);
  const options = { ...MEL, title: 'band.wav' };
  const figure = layoutSpectrogramFigure([{ spec, title: '' }], options);
  const png = renderSpectrogramPng(spec, options);
  const image = save('band.png', png);
  const { image: plot, axes } = figure.panels[0];

  it('writes a PNG whose header gives the laid-out size', () => {
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
    expect(image.width).toBe(figure.width);
    expect(image.height).toBe(figure.height);
    expect(plot.width).toBe(4 * frames); // default: 4 px per frame
    expect(plot.height).toBe(3 * rows); // default: 3 px per mel row
  });

  it('draws a loud mel row bright at its pixel rows and the quiet floor dark elsewhere', () => {
    const [first, last] = pixelRowsOf(band, rows, plot.y, plot.height);
    expect(last - first + 1).toBe(3);
    for (const x of [plot.x, plot.x + 200, plot.x + plot.width - 1]) {
      for (let y = first; y <= last; y++) expect(image.rgb(x, y)).toEqual(MAGMA_HIGH);
      for (const y of [plot.y, first - 2, last + 2, plot.y + plot.height - 1]) expect(image.rgb(x, y)).toEqual(MAGMA_LOW);
    }
  });

  it('puts low frequencies at the bottom and places Hz ticks on the mel scale', () => {
    const ticks = figure.panels[0].yTicks;
    const labels = ticks.map((t) => Number(t.label));
    for (let i = 1; i < ticks.length; i++) {
      expect(ticks[i].position).toBeGreaterThan(ticks[i - 1].position); // listed top to bottom...
      expect(labels[i]).toBeLessThan(labels[i - 1]); // ...so higher Hz are further up
    }
    expect(labels).toEqual(expect.arrayContaining([500, 1000, 2000, 4000]));
    // Band centres are rows + 1 equal mel steps over [fMin, fMax]: row r sits at step r + 1.
    const rowOf = (hz: number): number => (hzToMel(hz) / hzToMel(8000)) * (rows + 1) - 1;
    for (const tick of figure.panels[0].yTicks) {
      const expected = plot.y + plot.height * (1 - (rowOf(Number(tick.label)) + 0.5) / rows);
      expect(tick.position).toBeCloseTo(expected, 6);
      // A tick mark is drawn there, left of the frame.
      expect(isDark(image.rgb(axes.x - 4, Math.round(tick.position)))).toBe(true);
    }
  });

  it('shows a band centred at 1 kHz at the height of the 1000 Hz tick', () => {
    const bandAt1k = Math.round(rowOf1k());
    const tick = figure.panels[0].yTicks.find((t) => t.label === '1000');
    expect(tick).toBeDefined();
    const [first, last] = pixelRowsOf(bandAt1k, rows, plot.y, plot.height);
    expect(tick!.position).toBeGreaterThanOrEqual(first - 0.5);
    expect(tick!.position).toBeLessThanOrEqual(last + 1.5);
    function rowOf1k(): number {
      return (hzToMel(1000) / hzToMel(8000)) * (rows + 1) - 1;
    }
  });

  it('labels time in seconds from frame centres (frame j at j * hop / sampleRate)', () => {
    const ticks = figure.panels[0].xTicks;
    expect(Number(ticks[0].label)).toBe(0);
    expect(ticks[0].position).toBeCloseTo(plot.x + 2, 6); // the centre of frame 0 (4 px wide)
    const oneSecond = ticks.find((t) => Number(t.label) === 1);
    expect(oneSecond?.position).toBeCloseTo(plot.x + (22050 / 256 + 0.5) * 4, 6);
  });

  it('draws the title, the colorbar and its text', () => {
    const nonWhite = (x0: number, y0: number, x1: number, y1: number): number => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (image.rgb(x, y).some((c) => c < 200)) n++;
      return n;
    };
    expect(nonWhite(0, 0, figure.width, axes.y - 2)).toBeGreaterThan(30); // the title
    const bar = figure.colorbar;
    expect(image.rgb(bar.x + 5, bar.y)).toEqual(MAGMA_HIGH);
    expect(image.rgb(bar.x + 5, bar.y + bar.height - 1)).toEqual(MAGMA_LOW);
    expect(nonWhite(bar.x + bar.width + 2, bar.y, figure.width, bar.y + bar.height)).toBeGreaterThan(100); // ticks, labels
    expect(figure.colorbarTicks.length).toBeGreaterThanOrEqual(3);
    expect(nonWhite(0, axes.y, axes.x - 30, axes.y + axes.height)).toBeGreaterThan(30); // frequency label
  });

  it('uses an 80 dB range below the loudest value by default, in dB of the ln values', () => {
    const top = (20 / Math.LN10) * 2;
    expect(figure.range[0]).toBeCloseTo(top - 80, 4);
    expect(figure.range[1]).toBeCloseTo(top, 4);
  });
});

describe('spectrogramDecibels', () => {
  it('reads ln magnitude, magnitude and dB input as 20 log10 magnitude, floors at 1e-5, keeps NaN', () => {
    const spec = (values: number[]): Spectrogram => ({ data: Float32Array.from(values), rows: 1, frames: values.length });
    const ln = spectrogramDecibels(spec([0, 1, Math.log(1e-5), NaN]), 'ln magnitude');
    [0, 20 / Math.LN10, -100].forEach((v, i) => expect(ln[i]).toBeCloseTo(v, 4));
    expect(ln[3]).toBeNaN();
    const mag = spectrogramDecibels(spec([1, 10, 0, 1e-9, Infinity]), 'magnitude');
    [0, 20, -100, -100].forEach((v, i) => expect(mag[i]).toBeCloseTo(v, 4));
    expect(mag[4]).toBeNaN();
    expect(Array.from(spectrogramDecibels(spec([-12, 3]), 'dB'))).toEqual([-12, 3]);
  });
});

describe('linear STFT pictures', () => {
  it('converts magnitude to dB, clips to the range and uses a linear Hz axis', () => {
    const rows = 9; // nFft 16
    const frames = 40;
    const data = new Float32Array(rows * frames).fill(1e-3); // -60 dB
    data.fill(1, 2 * frames, 3 * frames); // 0 dB, the loudest
    for (let r = 0; r < rows; r++) if (r !== 2) data[r * frames + 10] = 1e-9; // floored at 1e-5: -100 dB
    const spec = { data, rows, frames };
    const options: SpectrogramImageOptions = { kind: 'linear', sampleRate: 16000, hopLength: 8, title: 'stft.wav', plotHeight: 180 };
    const figure = layoutSpectrogramFigure([{ spec, title: '' }], options);
    const image = save('linear.png', renderSpectrogramPng(spec, options));
    const plot = figure.panels[0].image;
    expect(figure.range).toEqual([-80, 0]);
    const [first, last] = pixelRowsOf(2, rows, plot.y, plot.height);
    const x = plot.x + 30 * (plot.width / frames);
    for (let y = first; y <= last; y++) expect(image.rgb(x, y)).toEqual(MAGMA_HIGH);
    expect(image.rgb(x, plot.y + 2)).toEqual(colormapRgb('magma', 20 / 80));
    expect(image.rgb(Math.floor(plot.x + 10.5 * (plot.width / frames)), plot.y + 2)).toEqual(MAGMA_LOW);
    // Bin k is k * 16000 / 16 Hz = k kHz: a tick at f Hz sits at the centre of fractional row f / 1000.
    const ticks = figure.panels[0].yTicks;
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (const tick of ticks) expect(tick.position).toBeCloseTo(plot.y + plot.height * (1 - (Number(tick.label) / 1000 + 0.5) / rows), 6);
  });
});

describe('renderSpectrogramStackPng', () => {
  const rows = 40;
  const loud = bandSpectrogram(rows, 100, [10], 2);
  const quiet = bandSpectrogram(rows, 60, [10], 0); // 17.4 dB quieter, and shorter
  const panels = [
    { spec: loud, title: 'source' },
    { spec: quiet, title: 'converted' },
  ];

  it('stacks panels on one time scale and one colour scale', () => {
    const options = { ...MEL, title: 'input vs converted' };
    const figure = layoutSpectrogramFigure(panels, options);
    const image = save('stack.png', renderSpectrogramStackPng(panels, options));
    const [a, b] = figure.panels;
    expect(b.axes.y).toBeGreaterThan(a.axes.y + a.axes.height);
    expect(b.axes.x).toBe(a.axes.x);
    expect(b.axes.width).toBe(a.axes.width); // shared time axis...
    expect(b.image.width / 60).toBeCloseTo(a.image.width / 100, 6); // ...at one scale
    const rowA = pixelRowsOf(10, rows, a.image.y, a.image.height)[0];
    const rowB = pixelRowsOf(10, rows, b.image.y, b.image.height)[0];
    expect(image.rgb(a.image.x + 20, rowA)).toEqual(MAGMA_HIGH);
    // The quieter panel is darker: 17.4 dB below the shared top of an 80 dB range.
    const expected = colormapRgb('magma', 1 - (20 / Math.LN10) * 2 / 80);
    expect(image.rgb(b.image.x + 20, rowB)).toEqual(expected);
    // Past the end of the shorter panel: the no-data fill, not the colour scale.
    expect(image.rgb(b.image.x + b.image.width + 3, rowB)).toEqual([238, 238, 238]);
  });

  it('uses a given colour range for every panel', () => {
    const options = { ...MEL, range: [-20, 0] as [number, number], colormap: 'viridis' as const };
    const figure = layoutSpectrogramFigure(panels, options);
    const image = save('stack-range.png', renderSpectrogramStackPng(panels, options));
    const [a, b] = figure.panels;
    expect(figure.range).toEqual([-20, 0]);
    expect(image.rgb(a.image.x + 20, pixelRowsOf(10, rows, a.image.y, a.image.height)[0])).toEqual([253, 231, 37]);
    expect(image.rgb(b.image.x + 20, pixelRowsOf(10, rows, b.image.y, b.image.height)[0])).toEqual([253, 231, 37]);
    expect(image.rgb(b.image.x + 20, b.image.y)).toEqual([68, 1, 84]);
  });

  it('lays panels side by side in columns', () => {
    const options = { ...MEL, layout: 'columns' as const };
    const figure = layoutSpectrogramFigure(panels, options);
    const image = save('columns.png', renderSpectrogramStackPng(panels, options));
    const [a, b] = figure.panels;
    expect(b.axes.y).toBe(a.axes.y);
    expect(b.axes.x).toBeGreaterThan(a.axes.x + a.axes.width);
    expect(b.yTickLabels).toBe(false);
    expect(image.width).toBe(figure.width);
    expect(image.rgb(b.image.x + 5, pixelRowsOf(10, rows, b.image.y, b.image.height)[0])).not.toEqual(MAGMA_LOW);
  });
});

describe('bad input', () => {
  const spec = bandSpectrogram(8, 10, [2]);
  it('names the problem in one line', () => {
    const bad = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(VoiceswapError);
        return (err as Error).message;
      }
      throw new Error('expected a VoiceswapError');
    };
    expect(bad(() => renderSpectrogramPng({ data: new Float32Array(5), rows: 8, frames: 10 }, { ...MEL, title: 'x' }))).toMatch(/5 values.*80/);
    expect(bad(() => renderSpectrogramPng(spec, { ...MEL, title: 'x', range: [0, -5] }))).toMatch(/range/);
    expect(bad(() => renderSpectrogramPng(spec, { ...MEL, title: 'x', fMax: 12000 }))).toMatch(/Nyquist/);
    expect(bad(() => renderSpectrogramPng(spec, { kind: 'linear', sampleRate: 16000, hopLength: 8, nFft: 8, title: 'x' }))).toMatch(/nFft 8/);
    expect(bad(() => renderSpectrogramStackPng([{ spec, title: 'a' }, { spec: bandSpectrogram(9, 10, []), title: 'b' }], MEL))).toMatch(/same number of rows/);
    expect(bad(() => renderSpectrogramStackPng([], MEL))).toMatch(/no spectrograms/);
    expect(bad(() => renderLineChartPng([{ name: 'g', xs: [1, 2], ys: [1] }], { title: 't', xLabel: 'x', yLabel: 'y' }))).toMatch(/"g".*2 x values/);
  });
});

describe('renderLineChartPng', () => {
  it('draws series in their colours, straight on a log axis when exponential, with a legend', () => {
    const xs = Array.from({ length: 31 }, (_, i) => i * 100);
    const exponential = xs.map((x) => 10 ** (x / 1000)); // a straight line on a log axis
    const flat = xs.map((x, i) => (i === 15 ? NaN : 0.5)); // a gap at step 1500
    const series = [
      { name: 'generator', xs, ys: exponential },
      { name: 'discriminator', xs, ys: flat },
    ];
    const options = { title: 'losses', xLabel: 'step', yLabel: 'loss', logY: true };
    const layout = layoutLineChart(series, options);
    const image = save('loss.png', renderLineChartPng(series, options));
    expect(image.width).toBe(layout.width);
    const hex = (rgb: number[]): string => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
    const near = (x: number, y: number, color: string): boolean => {
      for (let dy = -2; dy <= 2; dy++) if (hex(image.rgb(Math.round(x), Math.round(y) + dy)) === color) return true;
      return false;
    };
    // Straight in pixels between its ends, at x values between the samples too.
    const [xa, ya] = layout.toPixel(0, 1);
    const [xb, yb] = layout.toPixel(3000, 1000);
    for (const f of [0.25, 0.5, 0.75]) expect(near(xa + f * (xb - xa), ya + f * (yb - ya), SERIES_COLORS[0])).toBe(true);
    const [x1, y1] = layout.toPixel(700, 0.5);
    expect(near(x1, y1, SERIES_COLORS[1])).toBe(true);
    const [xGap, yGap] = layout.toPixel(1500, 0.5);
    expect(near(xGap, yGap, SERIES_COLORS[1])).toBe(false);
    // 1, 10, 100, 1000 are equally spaced ticks.
    const decades = layout.yTicks.filter((t) => ['1', '10', '100', '1000'].includes(t.label)).map((t) => t.position);
    expect(decades).toHaveLength(4);
    expect(decades[0] - decades[1]).toBeCloseTo(decades[2] - decades[3], 6);
    let legendInk = 0;
    const { legend } = layout;
    for (let y = legend.y; y < legend.y + legend.height; y++) {
      for (let x = legend.x + 36; x < legend.x + legend.width; x++) if (isDark(image.rgb(x, y))) legendInk++;
    }
    expect(legendInk).toBeGreaterThan(50);
  });
});

describe('a real log-mel', () => {
  it('renders readably at the default size', () => {
    const npy = readNpy(REAL_LOGMEL);
    const spec = { data: npy.data, rows: npy.shape[0], frames: npy.shape[1] };
    const png = renderSpectrogramPng(spec, { ...MEL, title: 'speech_female.logmel.npy' });
    const image = save('speech_female.png', png);
    expect(image.width).toBeGreaterThan(4 * spec.frames);
    expect(image.width).toBeLessThan(4 * spec.frames + 300);
  });
});
