/**
 * im2col / col2im for NHWC 2-D convolutions with dilation 1.
 *
 * The column matrix has one row per output pixel (n, oh, ow) and one column per filter tap
 * (kh, kw, ci), in the same order as a tfjs filter [kh, kw, ci, co] flattened to
 * [kh*kw*ci, co]. With that layout a convolution is `cols · filter`, which lets the
 * backprop kernels run on the fast matrix product instead of scalar loops.
 *
 * For a fixed (n, oh, ow, kh) the taps kw = 0..KW-1 read consecutive input pixels, so each
 * such group is one contiguous run of KW*Cin floats in both x and cols: the loops below
 * copy (or accumulate) whole runs and only clip them at the image borders.
 */

export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  /** Zero rows above the input (may exceed the filter for explicit padding). */
  padTop: number;
  /** Zero columns left of the input. */
  padLeft: number;
}

/** Number of columns of the im2col matrix: one per filter tap and input channel. */
export function colsWidth(g: ConvGeometry): number {
  return g.filterHeight * g.filterWidth * g.inChannels;
}

/** Number of rows of the im2col matrix: one per output pixel. */
export function colsHeight(g: ConvGeometry): number {
  return g.batch * g.outHeight * g.outWidth;
}

// Below this length a plain loop beats subarray()+set(), which allocate a view per call.
const MIN_BULK_COPY = 48;

/**
 * One clipped run: for output column ow, the taps kw in [kwFrom, kwTo) fall inside the image.
 * Returned as a pair to keep the hot loops allocation-free.
 */
function validTapRange(g: ConvGeometry, ow: number): [number, number] {
  const iw0 = ow * g.strideWidth - g.padLeft;
  return [Math.max(0, -iw0), Math.min(g.filterWidth, g.inWidth - iw0)];
}

/** Fills `cols` ([batch*outHeight*outWidth, KH*KW*Cin], row-major) from the NHWC input `x`. */
export function im2col(x: Float32Array, g: ConvGeometry, cols: Float32Array): void {
  const cin = g.inChannels;
  const run = g.filterWidth * cin;
  const rowLength = g.filterHeight * run;
  let row = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, row++) {
        const [kwFrom, kwTo] = validTapRange(g, ow);
        const iw0 = ow * g.strideWidth - g.padLeft;
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const dst = row * rowLength + kh * run;
          const ih = oh * g.strideHeight - g.padTop + kh;
          if (ih < 0 || ih >= g.inHeight || kwFrom >= kwTo) {
            cols.fill(0, dst, dst + run);
            continue;
          }
          const from = dst + kwFrom * cin;
          const to = dst + kwTo * cin;
          if (kwFrom > 0) cols.fill(0, dst, from);
          const src = ((n * g.inHeight + ih) * g.inWidth + iw0 + kwFrom) * cin;
          const length = to - from;
          if (length >= MIN_BULK_COPY) {
            cols.set(x.subarray(src, src + length), from);
          } else {
            for (let i = 0; i < length; i++) cols[from + i] = x[src + i];
          }
          if (to < dst + run) cols.fill(0, to, dst + run);
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: overwrites the NHWC `dx` with the sum, over every column entry,
 * of its value added at the input pixel it was read from. Padding taps are dropped.
 */
export function col2im(cols: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const cin = g.inChannels;
  const run = g.filterWidth * cin;
  const rowLength = g.filterHeight * run;
  dx.fill(0);
  let row = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, row++) {
        const [kwFrom, kwTo] = validTapRange(g, ow);
        if (kwFrom >= kwTo) continue;
        const iw0 = ow * g.strideWidth - g.padLeft;
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const ih = oh * g.strideHeight - g.padTop + kh;
          if (ih < 0 || ih >= g.inHeight) continue;
          const from = row * rowLength + kh * run + kwFrom * cin;
          const length = (kwTo - kwFrom) * cin;
          const dst = ((n * g.inHeight + ih) * g.inWidth + iw0 + kwFrom) * cin;
          for (let i = 0; i < length; i++) dx[dst + i] += cols[from + i];
        }
      }
    }
  }
}
