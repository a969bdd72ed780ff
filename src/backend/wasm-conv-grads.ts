import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { col2im, colsHeight, colsWidth, ConvGeometry, im2col } from './im2col.js';
import { input, withScratch } from './wasm-scratch.js';

/**
 * The two convolution gradients as im2col/col2im around one XNNPACK matrix product.
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all, and its Conv2DBackpropInput is
 * a scalar loop about 10x slower than the forward convolution. Only NHWC and dilation 1
 * (all tfjs supports in conv gradients) are handled.
 *
 * `matMul` must be a BatchMatMul kernel taking untransposed [1, m, k] x [1, k, n] operands
 * to XNNPACK (the original wasm kernel).
 */

function convGeometry(
  name: string,
  inShape: number[],
  filterShape: number[],
  attrs: { strides: [number, number] | number; pad: tf.Conv2DBackpropInputAttrs['pad']; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil' },
): ConvGeometry & { outChannels: number } {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`wasm ${name}: only NHWC is supported, got ${attrs.dataFormat}`);
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
  };
}

/**
 * dW = cols(x)^T · dy. Computed as its transpose dW^T = dy^T · cols so that the large
 * operand (cols) is the one XNNPACK packs, and only dy and the small result get transposed.
 */
export function conv2dBackpropFilter(matMul: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x');
    const dy = input(inputs, 'dy');
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const g = convGeometry('Conv2DBackpropFilter', x.shape, a.filterShape, a);
    const rows = colsHeight(g);
    const width = colsWidth(g);
    return withScratch(backend as BackendWasm, (s) => {
      const cols = s.allocate([1, rows, width]);
      im2col(s.view(x), g, s.view(cols));
      const dyT = s.reshape(s.transpose(s.reshape(dy, [rows, g.outChannels]), [1, 0]), [1, g.outChannels, rows]);
      const dwT = s.run(matMul, { a: dyT, b: cols }, { transposeA: false, transposeB: false });
      const dw = s.transpose(s.reshape(dwT, [g.outChannels, width]), [1, 0]);
      return s.keep(s.reshape(dw, a.filterShape));
    });
  };
}

/** dx = col2im(dy · W^T), with W as [KH*KW*Cin, Cout]. */
export function conv2dBackpropInput(matMul: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const dy = input(inputs, 'dy');
    const filter = input(inputs, 'filter');
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const g = convGeometry('Conv2DBackpropInput', a.inputShape, filter.shape, a);
    const rows = colsHeight(g);
    const width = colsWidth(g);
    return withScratch(backend as BackendWasm, (s) => {
      const filterT = s.reshape(s.transpose(s.reshape(filter, [width, g.outChannels]), [1, 0]), [1, g.outChannels, width]);
      const cols = s.run(matMul, { a: s.reshape(dy, [1, rows, g.outChannels]), b: filterT }, { transposeA: false, transposeB: false });
      const dx = s.allocate(a.inputShape);
      col2im(s.view(cols), g, s.view(dx));
      return s.keep(dx);
    });
  };
}
