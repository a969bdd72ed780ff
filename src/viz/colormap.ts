/**
 * Perceptually uniform colormaps (magma, viridis) by Nathaniel J. Smith and Stéfan van
 * der Walt, published as 256-entry tables under CC0. We keep 33 anchors sampled evenly
 * (t = i/32) from those tables, rounded to 8 bits; linear interpolation between them
 * reproduces every published entry within 2/255 per channel, far below what an eye sees.
 */
export type ColormapName = 'magma' | 'viridis';

const ANCHORS: Record<ColormapName, string> = {
  magma:
    '000004 030311 0a0822 130d33 1d1146 28115a 36106a 430f76 50127c 5d177f 691c81 762181 822681 8f2a81 9c2e7f a9327d ' +
    'b63779 c33b75 cf4170 db486a e65163 ee5c5e f5695c f9785d fb8761 fd9668 fea571 feb47b fec387 fed194 fde0a2 fceeb0 fcfdbf',
  viridis:
    '440154 470d60 48186a 482374 472d7b 453681 424086 3f4989 3b528b 375a8d 33638d 2f6a8e 2c728e 297a8e 26818e 23898e ' +
    '21908c 1f988b 1f9f88 21a685 28ae80 31b57b 3ebc74 4cc26c 5dc963 6ece58 82d34c 96d83f abdc32 c0df24 d5e21a eae51a fde725',
};

/** Number of entries in a lookup table: one per 8-bit level, as in the published maps. */
export const LUT_SIZE = 256;

const luts = new Map<ColormapName, Uint8Array>();

function parseAnchors(text: string): number[][] {
  return text.split(' ').map((hex) => [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)));
}

/** LUT_SIZE RGB triples, packed [r0, g0, b0, r1, ...], for colour values t = i / (LUT_SIZE - 1). */
export function colormapLut(name: ColormapName): Uint8Array {
  const cached = luts.get(name);
  if (cached) return cached;
  const anchors = parseAnchors(ANCHORS[name]);
  const segments = anchors.length - 1;
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const position = (i / (LUT_SIZE - 1)) * segments;
    const k = Math.min(Math.floor(position), segments - 1);
    const frac = position - k;
    for (let c = 0; c < 3; c++) {
      lut[3 * i + c] = Math.round(anchors[k][c] + (anchors[k + 1][c] - anchors[k][c]) * frac);
    }
  }
  luts.set(name, lut);
  return lut;
}

/** The LUT index for a value t in [0, 1] (clipped; NaN is the caller's business). */
export function lutIndex(t: number): number {
  return Math.round(Math.min(1, Math.max(0, t)) * (LUT_SIZE - 1));
}

/** The colour of t in [0, 1] (values outside are clipped to the ends of the map). */
export function colormapRgb(name: ColormapName, t: number): [number, number, number] {
  const lut = colormapLut(name);
  const i = 3 * lutIndex(t);
  return [lut[i], lut[i + 1], lut[i + 2]];
}
