/**
 * Tick choice and formatting, and the figure style: pure numbers, no canvas (the browser
 * page draws its axes with these too). Drawing is in plot.ts.
 */
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
