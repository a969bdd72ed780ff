import * as tf from '@tensorflow/tfjs';
import { float32Values, type NativeBody } from './native-kernel-util.js';

/**
 * Element-wise arithmetic (with broadcasting), element-wise functions, sums and means,
 * and data movement (transpose, concat, split), multi-threaded in the addon. The op codes
 * are the order of the enums in native/src/elementwise.h.
 */

const BINARY_OPS = ['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum', 'Minimum'] as const;
const UNARY_OPS = ['Sigmoid', 'Sqrt', 'Rsqrt', 'Square', 'Neg', 'Abs', 'Exp', 'Log', 'Relu'] as const;

/** `shape` with leading 1s up to `rank` (numpy broadcasting aligns trailing dimensions). */
function padShape(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

export function binaryKernel(name: (typeof BINARY_OPS)[number]): NativeBody {
  const op = BINARY_OPS.indexOf(name);
  return (addon, { inputs }, backend) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const av = float32Values(backend, a);
    const bv = float32Values(backend, b);
    if (av === null || bv === null) return null;
    const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const rank = outShape.length;
    const out = new Float32Array(tf.util.sizeFromShape(outShape));
    addon.binary(op, Int32Array.of(rank, ...outShape, ...padShape(a.shape, rank), ...padShape(b.shape, rank)), av, bv, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

export function unaryKernel(name: (typeof UNARY_OPS)[number]): NativeBody {
  const op = UNARY_OPS.indexOf(name);
  return (addon, { inputs }, backend) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const xv = float32Values(backend, x);
    if (xv === null) return null;
    const out = new Float32Array(xv.length);
    addon.unary(op, xv, out);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  };
}

/** Sum (mean = false) or Mean over the `axis` attribute, with keepDims. */
export function reduceKernel(mean: boolean): NativeBody {
  return (addon, { inputs, attrs }, backend) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const xv = float32Values(backend, x);
    if (xv === null || xv.length === 0) return null;
    const reduced = new Array<number>(x.shape.length).fill(0);
    for (const a of tf.util.parseAxisParam(axis, x.shape)) reduced[a] = 1;
    const outShape = keepDims ? x.shape.map((d, i) => (reduced[i] ? 1 : d)) : x.shape.filter((_, i) => !reduced[i]);
    const out = new Float32Array(tf.util.sizeFromShape(outShape));
    addon.reduceSum(Int32Array.of(x.shape.length, ...x.shape, ...reduced), mean ? 1 : 0, xv, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

export const transpose: NativeBody = (addon, { inputs, attrs }, backend) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { perm } = attrs as { perm: number[] };
  const xv = float32Values(backend, x);
  if (xv === null) return null;
  const out = new Float32Array(xv.length);
  addon.transpose(Int32Array.of(x.shape.length, ...x.shape, ...perm), xv, out);
  return backend.makeTensorInfo(
    perm.map((p) => x.shape[p]!),
    'float32',
    out,
  );
};

/** Rows of a concat/split along `axis`: the product of the dimensions before it. */
function rowsBefore(shape: readonly number[], axis: number): number {
  return tf.util.sizeFromShape(shape.slice(0, axis));
}

export const concat: NativeBody = (addon, { inputs, attrs }, backend) => {
  const parts = Object.values(inputs) as tf.TensorInfo[];
  const { axis } = attrs as { axis: number | number[] };
  if (parts.length === 0) return null;
  const values = parts.map((t) => float32Values(backend, t));
  if (values.some((v) => v === null || v.length === 0)) return null;
  const $axis = tf.util.parseAxisParam(axis, parts[0]!.shape)[0]!;
  const outShape = tf.backend_util.computeOutShape(
    parts.map((t) => t.shape),
    $axis,
  );
  const out = new Float32Array(tf.util.sizeFromShape(outShape));
  addon.concat(values as Float32Array[], rowsBefore(outShape, $axis), out);
  return backend.makeTensorInfo(outShape, 'float32', out);
};

export const splitV: NativeBody = (addon, { inputs, attrs }, backend) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = attrs as { numOrSizeSplits: number | number[]; axis: number | number[] };
  const xv = float32Values(backend, x);
  if (xv === null || xv.length === 0) return null;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
  const shapes = sizes.map((s) => x.shape.map((d, i) => (i === $axis ? s : d)));
  const parts = shapes.map((shape) => new Float32Array(tf.util.sizeFromShape(shape)));
  addon.split(xv, rowsBefore(x.shape, $axis), parts);
  return shapes.map((shape, i) => backend.makeTensorInfo(shape, 'float32', parts[i]));
};
