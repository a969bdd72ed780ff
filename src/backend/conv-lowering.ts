/**
 * Lowering NHWC 2-D convolutions (dilation 1) to matrix products, as pure loops over
 * Float32Arrays. The wasm kernels in wasm-conv-grads.ts use these to run convolution
 * gradients on XNNPACK's fast matrix product instead of scalar loops.
 *
 * The im2col matrix `cols` has one row per output pixel (n, oh, ow) and one column per
 * filter tap and input channel (kh, kw, ci), the order of a tfjs filter [kh, kw, ci, co]
 * flattened to [kh*kw*ci, co]; a convolution is `cols · filter`.
 */

export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  /** Zero rows above the input. */
  padTop: number;
  /** Zero columns left of the input. */
  padLeft: number;
}

/** Number of output pixels: the rows of the im2col matrix. */
export function outputPixels(g: ConvGeometry): number {
  return g.batch * g.outHeight * g.outWidth;
}

/** Number of filter taps times input channels: the columns of the im2col matrix. */
export function filterTaps(g: ConvGeometry): number {
  return g.filterHeight * g.filterWidth * g.inChannels;
}

/**
 * x padded and channel-major, [Cin, batch, rows, cols]: exactly the rows and columns the
 * filter taps reach, zero outside the image. In this layout every (tap, channel, output
 * row) reads one stretch of a plane row, with no border tests.
 */
export interface Planes {
  data: Float32Array;
  rows: number;
  cols: number;
}

export function paddedPlanes(x: Float32Array, g: ConvGeometry): Planes {
  const rows = (g.outHeight - 1) * g.strideHeight + g.filterHeight;
  const cols = (g.outWidth - 1) * g.strideWidth + g.filterWidth;
  const cin = g.inChannels;
  const planeSize = g.batch * rows * cols;
  const data = new Float32Array(cin * planeSize);
  const ihTo = Math.min(g.inHeight, rows - g.padTop);
  const iwTo = Math.min(g.inWidth, cols - g.padLeft);
  for (let n = 0; n < g.batch; n++) {
    for (let ih = 0; ih < ihTo; ih++) {
      for (let iw = 0; iw < iwTo; iw++) {
        const src = ((n * g.inHeight + ih) * g.inWidth + iw) * cin;
        const dst = (n * rows + ih + g.padTop) * cols + iw + g.padLeft;
        for (let ci = 0; ci < cin; ci++) data[dst + ci * planeSize] = x[src + ci];
      }
    }
  }
  return { data, rows, cols };
}

/**
 * Fills `colsT`, the transpose of the im2col matrix: [KH*KW*Cin, pixels]. Built directly
 * because a transpose of a large matrix is slow on wasm, and because the filter gradient
 * colsT · dy then has its large operand first, where the product streams it.
 */
export function im2colTransposed(p: Planes, g: ConvGeometry, colsT: Float32Array): void {
  const planeSize = g.batch * p.rows * p.cols;
  const sw = g.strideWidth;
  let dst = 0;
  for (let kh = 0; kh < g.filterHeight; kh++) {
    for (let kw = 0; kw < g.filterWidth; kw++) {
      for (let ci = 0; ci < g.inChannels; ci++) {
        for (let n = 0; n < g.batch; n++) {
          const plane = ci * planeSize + n * p.rows * p.cols;
          for (let oh = 0; oh < g.outHeight; oh++) {
            let src = plane + (oh * g.strideHeight + kh) * p.cols + kw;
            const end = dst + g.outWidth;
            for (; dst < end; dst++, src += sw) colsT[dst] = p.data[src];
          }
        }
      }
    }
  }
}

/**
 * For stride 1 only. Fills `rowsT` [KH*Cin, batch*outHeight*cols]: for each kh and
 * channel, the plane rows kh .. kh+outHeight-1, whole (all `cols` columns). Each is one
 * contiguous block of the planes. Paired with shiftedGradients this factors the filter
 * gradient through the vertical taps only, so the input is copied KH times, not KH*KW.
 */
export function planeRowBlocks(p: Planes, g: ConvGeometry, rowsT: Float32Array): void {
  const planeSize = g.batch * p.rows * p.cols;
  const block = g.outHeight * p.cols;
  let dst = 0;
  for (let kh = 0; kh < g.filterHeight; kh++) {
    for (let ci = 0; ci < g.inChannels; ci++) {
      for (let n = 0; n < g.batch; n++) {
        const src = ci * planeSize + (n * p.rows + kh) * p.cols;
        rowsT.set(p.data.subarray(src, src + block), dst);
        dst += block;
      }
    }
  }
}

/**
 * For stride 1 only. Fills `shifted` [batch*outHeight*cols, KW*Cout] with
 * shifted[(n, oh, j), (kw, co)] = dy[n, oh, j - kw, co] (zero where j - kw is outside the
 * output row). Then dW[kh, :, ci, :] = rowsT[(kh, ci), :] · shifted: the horizontal taps
 * are carried by this banded copy of dy, which is small when Cout is.
 */
export function shiftedGradients(dy: Float32Array, g: ConvGeometry, cols: number, shifted: Float32Array): void {
  const cout = g.outChannels;
  const width = g.filterWidth * cout;
  shifted.fill(0);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      const dyRow = (n * g.outHeight + oh) * g.outWidth * cout;
      const outRow = (n * g.outHeight + oh) * cols;
      for (let j = 0; j < cols; j++) {
        const kwFrom = Math.max(0, j - g.outWidth + 1);
        const kwTo = Math.min(g.filterWidth, j + 1);
        for (let kw = kwFrom; kw < kwTo; kw++) {
          const src = dyRow + (j - kw) * cout;
          const dst = (outRow + j) * width + kw * cout;
          for (let co = 0; co < cout; co++) shifted[dst + co] = dy[src + co];
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: overwrites the NHWC `dx` with the sum, over every entry of
 * `cols` ([pixels, KH*KW*Cin]), of its value added at the input pixel it was read from.
 * Padding taps are dropped. For a fixed (pixel, kh) the taps kw read consecutive input
 * pixels, so each group is one contiguous run, clipped at the image border.
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
        const iw0 = ow * g.strideWidth - g.padLeft;
        const kwFrom = Math.max(0, -iw0);
        const kwTo = Math.min(g.filterWidth, g.inWidth - iw0);
        if (kwFrom >= kwTo) continue;
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

/**
 * The adjoint of im2colTransposed: overwrites the NHWC `dx` with the sum of every entry of
 * `colsT` ([KH*KW*Cin, pixels]) added at the input pixel it was read from. Padding taps are
 * dropped.
 */
export function col2imTransposed(colsT: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const cin = g.inChannels;
  const pixels = outputPixels(g);
  const dxStep = g.strideWidth * cin;
  dx.fill(0);
  for (let kh = 0; kh < g.filterHeight; kh++) {
    for (let kw = 0; kw < g.filterWidth; kw++) {
      // Output columns whose tap kw lands inside the image: 0 <= ow*sw - padLeft + kw < inWidth.
      const owFrom = Math.max(0, Math.ceil((g.padLeft - kw) / g.strideWidth));
      const owTo = Math.min(g.outWidth, Math.floor((g.inWidth - 1 + g.padLeft - kw) / g.strideWidth) + 1);
      for (let ci = 0; ci < cin; ci++) {
        const row = ((kh * g.filterWidth + kw) * cin + ci) * pixels;
        for (let n = 0; n < g.batch; n++) {
          for (let oh = 0; oh < g.outHeight; oh++) {
            const ih = oh * g.strideHeight - g.padTop + kh;
            if (ih < 0 || ih >= g.inHeight) continue;
            let src = row + (n * g.outHeight + oh) * g.outWidth + owFrom;
            let dst = ((n * g.inHeight + ih) * g.inWidth + owFrom * g.strideWidth - g.padLeft + kw) * cin + ci;
            for (let ow = owFrom; ow < owTo; ow++, src++, dst += dxStep) dx[dst] += colsT[src];
          }
        }
      }
    }
  }
}
