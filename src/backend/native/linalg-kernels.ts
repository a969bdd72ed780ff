import * as tf from '@tensorflow/tfjs';
import { FUSED_CONV_BIAS, type FusedConvBiasAttrs } from '../fused-conv-bias.js';
import { float32Values, type CpuBackendLike, type FusedBody, type NativeBody, type NativeContext } from './kernel-util.js';

/** Convolutions and matrix products over oneDNN: the arithmetic-heavy kernels. */

// ---------------------------------------------------------------- convolutions

/**
 * The addon's 17-int description of a convolution, from tfjs's Conv2DInfo; null when the
 * native kernel does not cover it (NCHW, or tfjs's output size disagrees with the floor
 * rule oneDNN uses, e.g. dimRoundingMode 'ceil').
 */
export function convShapeInts(info: tf.backend_util.Conv2DInfo): Int32Array | null {
  if (info.dataFormat !== 'channelsLast') return null;
  const { top, bottom, left, right } = info.padInfo;
  const floorSize = (input: number, before: number, after: number, effectiveKernel: number, stride: number) =>
    Math.floor((input + before + after - effectiveKernel) / stride) + 1;
  if (
    floorSize(info.inHeight, top, bottom, info.effectiveFilterHeight, info.strideHeight) !== info.outHeight ||
    floorSize(info.inWidth, left, right, info.effectiveFilterWidth, info.strideWidth) !== info.outWidth ||
    top < 0 ||
    left < 0
  ) {
    return null;
  }
  return Int32Array.of(
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth,
    top, left, bottom, right,
    info.dilationHeight, info.dilationWidth,
  );
}

type Conv2DAttrs = { strides: number | [number, number]; pad: Parameters<typeof tf.conv2d>[3]; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil' };

function convInfo(
  inShape: number[],
  filterShape: number[],
  attrs: Conv2DAttrs,
  dilations: number | [number, number] = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

/**
 * The forward pass in the addon, plus `bias` [outC] at every position when given (added to
 * the float32 result, as Add would); null where the addon does not cover these inputs.
 */
function nativeConvForward(
  { addon, output, filterKey }: NativeContext,
  backend: CpuBackendLike,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  bias: tf.TensorInfo | null,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo | null {
  const xs = float32Values(backend, x);
  const w = float32Values(backend, filter);
  const b = bias === null ? null : float32Values(backend, bias);
  const shape = convShapeInts(info);
  if (xs === null || w === null || (bias !== null && b === null) || shape === null || !addon.conv2dSupported(0, shape)) return null;
  const y = output(tf.util.sizeFromShape(info.outShape));
  addon.conv2dForward(shape, xs, w, b, y, filterKey(filter.dataId));
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

export const conv2D: NativeBody = (native, { inputs, attrs }, backend) => {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as Conv2DAttrs & { dilations: number | [number, number] };
  return nativeConvForward(native, backend, x, filter, null, convInfo(x.shape, filter.shape, a, a.dilations));
};

/**
 * FUSED_CONV_BIAS (src/backend/fused-conv-bias.ts): the bias is added in the same addon
 * call, to the float32 result, so the values are exactly those of Conv2D then Add on this
 * backend. Where the addon does not cover the convolution, those two kernels run.
 */
export const conv2DBias: FusedBody = (native, args, backend) => {
  const { x, filter, bias } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias: tf.TensorInfo };
  const { strides, pad } = args.attrs as unknown as FusedConvBiasAttrs;
  const convAttrs = { strides, pad, dataFormat: 'NHWC', dilations: 1 } as const;
  const info = convInfo(x.shape, filter.shape, convAttrs, 1);
  if (bias.shape.length !== 1 || bias.shape[0] !== info.outChannels) {
    throw new Error(`${FUSED_CONV_BIAS}: bias has shape [${bias.shape}], expected [${info.outChannels}]`);
  }
  const fused = nativeConvForward(native, backend, x, filter, bias, info);
  if (fused !== null) return fused;
  const kernel = (name: string) => tf.getKernel(name, tf.getBackend())!.kernelFunc;
  const conv = kernel('Conv2D')({ inputs: { x, filter }, attrs: convAttrs as unknown as tf.NamedAttrMap, backend: args.backend }) as tf.TensorInfo;
  const out = kernel('Add')({ inputs: { a: conv, b: bias }, attrs: {}, backend: args.backend }) as tf.TensorInfo;
  (args.backend as unknown as { disposeIntermediateTensorInfo(t: tf.TensorInfo): void }).disposeIntermediateTensorInfo(conv);
  return out;
};

export const conv2DBackpropInput: NativeBody = ({ addon, output, filterKey }, { inputs, attrs }, backend) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as Conv2DAttrs & { inputShape: number[] };
  const dys = float32Values(backend, dy);
  const w = float32Values(backend, filter);
  const info = convInfo(a.inputShape, filter.shape, a);
  const shape = convShapeInts(info);
  if (dys === null || w === null || shape === null || !addon.conv2dSupported(1, shape)) return null;
  const dx = output(tf.util.sizeFromShape(info.inShape));
  addon.conv2dBackwardData(shape, dys, w, dx, filterKey(filter.dataId));
  return backend.makeTensorInfo(info.inShape, 'float32', dx);
};

export const conv2DBackpropFilter: NativeBody = ({ addon, output }, { inputs, attrs }, backend) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as Conv2DAttrs & { filterShape: number[] };
  const xs = float32Values(backend, x);
  const dys = float32Values(backend, dy);
  const info = convInfo(x.shape, a.filterShape, a);
  const shape = convShapeInts(info);
  if (xs === null || dys === null || shape === null || !addon.conv2dSupported(2, shape)) return null;
  const dw = output(tf.util.sizeFromShape(info.filterShape));
  addon.conv2dBackwardWeights(shape, xs, dys, dw);
  return backend.makeTensorInfo(info.filterShape, 'float32', dw);
};

// ---------------------------------------------------------------- matrix products

export const batchMatMul: NativeBody = ({ addon, output }, { inputs, attrs }, backend) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const as = float32Values(backend, a);
  const bs = float32Values(backend, b);
  if (as === null || bs === null) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  // Only whole-batch broadcasting: equal batch shapes, or one side a single matrix.
  const sameBatches = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!sameBatches && batchA !== 1 && batchB !== 1) return null;
  const [rowsA, colsA] = a.shape.slice(-2) as [number, number];
  const [rowsB, colsB] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? colsA : rowsA;
  const k = transposeA ? rowsA : colsA;
  const n = transposeB ? rowsB : colsB;
  if ((transposeB ? colsB : rowsB) !== k) return null; // let the cpu kernel report the mismatch
  const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB), m, n];
  const c = output(tf.util.sizeFromShape(outShape));
  if (k === 0) {
    c.fill(0); // an empty sum
  } else if (c.length > 0) {
    addon.batchMatMul(Int32Array.of(batchA, batchB, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0), as, bs, c);
  }
  return backend.makeTensorInfo(outShape, 'float32', c);
};
