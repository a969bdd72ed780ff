import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  col2im,
  col2imTransposed,
  ConvGeometry,
  filterTaps,
  im2colTransposed,
  outputPixels,
  paddedPlanes,
  planeRowBlocks,
  shiftedGradients,
} from '../conv-lowering.js';
import { DerivedTensorCache } from '../derived-cache.js';
import { input, WasmScratch, withScratch } from './scratch.js';

/**
 * The two convolution gradients on wasm, lowered to XNNPACK's matrix product or convolution.
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all, and its Conv2DBackpropInput is
 * a scalar loop, about 10x slower than the forward convolution. Only NHWC and dilation 1
 * (all that tfjs supports in conv gradients) are handled.
 *
 * `matMul` must be a BatchMatMul kernel that takes untransposed [1, m, k] x [1, k, n]
 * operands straight to XNNPACK (the original wasm kernel).
 */

/** Per filter tensor: [1, Cout, KH*KW*Cin], for products that take the filter transposed. */
const transposedFilters = new DerivedTensorCache();

/** The filter as [1, Cout, KH*KW*Cin], derived once per filter tensor. */
function transposedFilter(s: WasmScratch, filter: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  return transposedFilters.get(s.backend, filter, () =>
    withScratch(s.backend, (t) => t.keep(t.reshape(t.transpose(t.reshape(filter, [filterTaps(g), g.outChannels]), [1, 0]), [1, g.outChannels, filterTaps(g)]))),
  );
}
/** Per filter tensor: flipped in space, channel axes swapped, for the convolution path. */
const flippedFilters = new DerivedTensorCache();

type ConvAttrs = Pick<tf.Conv2DBackpropInputAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>;

interface Geometry extends ConvGeometry {
  padBottom: number;
  padRight: number;
}

function convGeometry(kernel: string, inShape: number[], filterShape: number[], attrs: ConvAttrs): Geometry {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`wasm ${kernel}: only NHWC is supported, got ${attrs.dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    padBottom: info.padInfo.bottom,
    padRight: info.padInfo.right,
  };
}

function product(s: WasmScratch, matMul: tf.KernelFunc, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return s.run(matMul, { a, b }, { transposeA: false, transposeB: false });
}

function isStride1(g: ConvGeometry): boolean {
  return g.strideHeight === 1 && g.strideWidth === 1;
}

/**
 * dW = cols^T · dy, [KH*KW*Cin, Cout]: the input copied once per filter tap. Fine when Cout
 * is large enough to amortise that copy.
 */
function filterGradByTaps(s: WasmScratch, matMul: tf.KernelFunc, x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const colsT = s.allocate([1, filterTaps(g), outputPixels(g)]);
  im2colTransposed(paddedPlanes(s.view(x), g), g, s.view(colsT));
  return product(s, matMul, colsT, s.reshape(dy, [1, outputPixels(g), g.outChannels]));
}

/**
 * Stride 1: dW as [KH*Cin, KW*Cout] = rowBlocks · shifted dy (see conv-lowering), then
 * reordered to [KH, KW, Cin, Cout]. The input is copied once per filter row and dy once per
 * filter column, which wins when Cout is small (e.g. the generator's 1-channel output conv,
 * where the per-tap copy is 75x the input).
 */
function filterGradByRows(s: WasmScratch, matMul: tf.KernelFunc, x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const planes = paddedPlanes(s.view(x), g);
  const depth = g.batch * g.outHeight * planes.cols;
  const rowsT = s.allocate([1, g.filterHeight * g.inChannels, depth]);
  const shifted = s.allocate([1, depth, g.filterWidth * g.outChannels]);
  planeRowBlocks(planes, g, s.view(rowsT));
  shiftedGradients(s.view(dy), g, planes.cols, s.view(shifted));
  const dw = product(s, matMul, rowsT, shifted);
  const grouped = s.reshape(dw, [g.filterHeight, g.inChannels, g.filterWidth, g.outChannels]);
  return s.transpose(grouped, [0, 2, 1, 3]);
}

/** How many floats each lowering copies; the smaller one is used. */
function filterGradCopies(g: ConvGeometry): { byTaps: number; byRows: number } {
  const depth = g.batch * g.outHeight * ((g.outWidth - 1) * g.strideWidth + g.filterWidth);
  return {
    byTaps: filterTaps(g) * outputPixels(g),
    byRows: isStride1(g) ? depth * (g.filterHeight * g.inChannels + g.filterWidth * g.outChannels) : Infinity,
  };
}

export function conv2dBackpropFilter(matMul: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x');
    const dy = input(inputs, 'dy');
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const g = convGeometry('Conv2DBackpropFilter', x.shape, a.filterShape, a);
    const copies = filterGradCopies(g);
    return withScratch(backend as BackendWasm, (s) => {
      const dw = copies.byRows < copies.byTaps ? filterGradByRows(s, matMul, x, dy, g) : filterGradByTaps(s, matMul, x, dy, g);
      return s.keep(s.reshape(dw, a.filterShape));
    });
  };
}

/**
 * Stride 1: dx is the convolution of dy with the filter flipped in space and with its
 * channel axes swapped, padded by (filter size - 1 - forward padding) on each side, on
 * XNNPACK's convolution. Used when Cout < Cin: then the product path's inner dimension
 * (Cout) is too thin for the product to run well, while this convolution has Cin outputs
 * (e.g. the generator's 1-channel output conv: 10x faster). Returns null otherwise, and
 * when a forward padding exceeds the filter size (explicit padding), which this form
 * cannot express.
 */
function inputGradByConv(s: WasmScratch, dy: tf.TensorInfo, filter: tf.TensorInfo, g: Geometry): tf.TensorInfo | null {
  const pads = [
    g.filterHeight - 1 - g.padTop,
    g.filterHeight - 1 - g.padBottom,
    g.filterWidth - 1 - g.padLeft,
    g.filterWidth - 1 - g.padRight,
  ];
  if (!isStride1(g) || g.outChannels >= g.inChannels || pads.some((p) => p < 0)) return null;
  const flipped = flippedFilters.get(s.backend, filter, () =>
    withScratch(s.backend, (t) => t.keep(t.transpose(t.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]))),
  );
  return s.run('Conv2D', { x: dy, filter: flipped }, {
    strides: 1,
    pad: [
      [0, 0],
      [pads[0], pads[1]],
      [pads[2], pads[3]],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations: 1,
  });
}

/**
 * Any stride: dx = col2im(dy · W^T), with W as [KH*KW*Cin, Cout]. XNNPACK packs W^T, which
 * is derived and packed once per filter tensor (the cache), not per call.
 */
function inputGradByCols(s: WasmScratch, matMul: tf.KernelFunc, dy: tf.TensorInfo, filter: tf.TensorInfo, g: Geometry, inShape: number[]): tf.TensorInfo {
  const cols = product(s, matMul, s.reshape(dy, [1, outputPixels(g), g.outChannels]), transposedFilter(s, filter, g));
  const dx = s.allocate(inShape);
  col2im(s.view(cols), g, s.view(dx));
  return dx;
}

/**
 * Any stride: dx = col2imTransposed(W · dy^T). The filter is the streamed operand, so no
 * weights are packed at all; XNNPACK packs dy^T instead, which is the smaller of the two in
 * the deep, low-resolution layers (few pixels, many weights).
 */
function inputGradByColsT(s: WasmScratch, matMul: tf.KernelFunc, dy: tf.TensorInfo, filter: tf.TensorInfo, g: Geometry, inShape: number[]): tf.TensorInfo {
  const pixels = outputPixels(g);
  const dyT = s.reshape(s.transpose(s.reshape(dy, [pixels, g.outChannels]), [1, 0]), [1, g.outChannels, pixels]);
  const colsT = product(s, matMul, s.reshape(filter, [1, filterTaps(g), g.outChannels]), dyT);
  const dx = s.allocate(inShape);
  col2imTransposed(s.view(colsT), g, s.view(dx));
  return dx;
}

/**
 * Packing costs about the same per element whichever operand it is; a filter is packed once
 * per filter tensor and shared by this many backward passes (a CycleGAN step runs each
 * network 2-3 times), dy once per call.
 */
const PASSES_PER_FILTER = 2;

function packsFilter(g: Geometry): boolean {
  return outputPixels(g) * PASSES_PER_FILTER >= filterTaps(g);
}

export function conv2dBackpropInput(matMul: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const dy = input(inputs, 'dy');
    const filter = input(inputs, 'filter');
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const g = convGeometry('Conv2DBackpropInput', a.inputShape, filter.shape, a);
    return withScratch(backend as BackendWasm, (s) => {
      const dx =
        inputGradByConv(s, dy, filter, g) ??
        (packsFilter(g) ? inputGradByCols(s, matMul, dy, filter, g, a.inputShape) : inputGradByColsT(s, matMul, dy, filter, g, a.inputShape));
      return s.keep(dx);
    });
  };
}
