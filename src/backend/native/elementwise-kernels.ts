import * as tf from '@tensorflow/tfjs';
import { float32Values, type NativeBody, type NativeContext } from './kernel-util.js';

/**
 * Element-wise arithmetic (with broadcasting), element-wise functions, sums and means,
 * and data movement (transpose, concat, split), multi-threaded in the addon. The op codes
 * are the order of the enums in native/src/elementwise.h.
 */

const BINARY_OPS = ['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum', 'Minimum'] as const;
export const UNARY_OPS = ['Sigmoid', 'Sqrt', 'Rsqrt', 'Square', 'Neg', 'Abs', 'Exp', 'Log', 'Relu'] as const;

/** kMaxRank in native/src/elementwise.h. */
const MAX_BROADCAST_RANK = 8;

/**
 * The addon's packed shape argument [rank, then `blocks` x rank ints], in an array reused
 * per (blocks, rank): the addon copies it before a kernel call returns, and a training step
 * makes thousands of small calls whose garbage would otherwise keep the GC busy.
 */
const packedArrays = new Map<number, Int32Array>();
function packed(blocks: number, rank: number): Int32Array {
  const key = blocks * 64 + rank;
  let ints = packedArrays.get(key);
  if (ints === undefined) packedArrays.set(key, (ints = new Int32Array(1 + blocks * rank)));
  ints[0] = rank;
  return ints;
}

/** Writes `shape` into block `block` of a packed array, with leading 1s up to the rank (numpy broadcasting aligns trailing dimensions). */
function putShape(ints: Int32Array, block: number, shape: readonly number[]): void {
  const rank = ints[0]!;
  const start = 1 + block * rank;
  const pad = rank - shape.length;
  for (let i = 0; i < rank; i++) ints[start + i] = i < pad ? 1 : shape[i - pad]!;
}

export function binaryKernel(name: (typeof BINARY_OPS)[number]): NativeBody {
  const op = BINARY_OPS.indexOf(name);
  return ({ addon, output }, { inputs }, backend) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const av = float32Values(backend, a);
    const bv = float32Values(backend, b);
    if (av === null || bv === null) return null;
    const outShape = tf.util.arraysEqual(a.shape, b.shape) ? a.shape : tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const rank = outShape.length;
    if (rank > MAX_BROADCAST_RANK) return null;
    const out = output(tf.util.sizeFromShape(outShape));
    const shapes = packed(3, rank);
    putShape(shapes, 0, outShape);
    putShape(shapes, 1, a.shape);
    putShape(shapes, 2, b.shape);
    addon.binary(op, shapes, av, bv, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

export function unaryKernel(name: (typeof UNARY_OPS)[number]): NativeBody {
  const op = UNARY_OPS.indexOf(name);
  return ({ addon, output }, { inputs }, backend) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const xv = float32Values(backend, x);
    if (xv === null) return null;
    const out = output(xv.length);
    addon.unary(op, xv, out);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  };
}

/** Step (the gradient of Abs and of Relu-like ops): 1 where x > 0, attrs.alpha elsewhere. */
export const step: NativeBody = ({ addon, output }, { inputs, attrs }, backend) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = float32Values(backend, x);
  if (xv === null) return null;
  const out = output(xv.length);
  addon.step((attrs as { alpha?: number }).alpha ?? 0, xv, out);
  return backend.makeTensorInfo(x.shape, 'float32', out);
};

/** Sum (mean = false) or Mean over the `axis` attribute, with keepDims. */
export function reduceKernel(mean: boolean): NativeBody {
  return ({ addon, output }, { inputs, attrs }, backend) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const xv = float32Values(backend, x);
    if (xv === null || xv.length === 0) return null;
    const rank = x.shape.length;
    const shapeAndFlags = packed(2, rank);
    putShape(shapeAndFlags, 0, x.shape);
    shapeAndFlags.fill(0, 1 + rank);
    for (const a of tf.util.parseAxisParam(axis, x.shape)) shapeAndFlags[1 + rank + a] = 1;
    const reduced = (i: number) => shapeAndFlags[1 + rank + i] === 1;
    const outShape = keepDims ? x.shape.map((d, i) => (reduced(i) ? 1 : d)) : x.shape.filter((_, i) => !reduced(i));
    const out = output(tf.util.sizeFromShape(outShape));
    addon.reduceSum(shapeAndFlags, mean ? 1 : 0, xv, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

export const transpose: NativeBody = ({ addon, output }, { inputs, attrs }, backend) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { perm } = attrs as { perm: number[] };
  const xv = float32Values(backend, x);
  if (xv === null) return null;
  const out = output(xv.length);
  const shapeAndPerm = packed(2, x.shape.length);
  putShape(shapeAndPerm, 0, x.shape);
  shapeAndPerm.set(perm, 1 + x.shape.length);
  addon.transpose(shapeAndPerm, xv, out);
  return backend.makeTensorInfo(
    perm.map((p) => x.shape[p]!),
    'float32',
    out,
  );
};

/** tfjs's Tile where it only repeats size-1 dimensions: broadcastTo, as gradients use it. */
export const tile: NativeBody = ({ addon, output }, { inputs, attrs }, backend) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { reps } = attrs as { reps: number[] };
  const xv = float32Values(backend, x);
  const rank = x.shape.length;
  if (xv === null || rank > MAX_BROADCAST_RANK || reps.length !== rank || reps.some((r, i) => r > 1 && x.shape[i] !== 1)) return null;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = output(tf.util.sizeFromShape(outShape));
  const shapes = packed(2, rank);
  putShape(shapes, 0, outShape);
  putShape(shapes, 1, x.shape);
  addon.broadcast(shapes, xv, out);
  return backend.makeTensorInfo(outShape, 'float32', out);
};

/**
 * A float32 buffer of `length` copies of `value`, written by the addon: a recycled buffer
 * may still be read by queued work, which JavaScript must not overwrite under it.
 */
function constant({ addon, output }: NativeContext, length: number, value: number): Float32Array {
  const out = output(length);
  if (length > 0) addon.broadcast(Int32Array.of(1, length, 1), Float32Array.of(value), out);
  return out;
}

/** ZerosLike / OnesLike of a float32 tensor, into a recycled buffer. */
export function constantLike(value: number): NativeBody {
  return (native, { inputs }, backend) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return null;
    return backend.makeTensorInfo(x.shape, 'float32', constant(native, tf.util.sizeFromShape(x.shape), value));
  };
}

/** Fill of a float32 tensor, into a recycled buffer. */
export const fill: NativeBody = (native, { attrs }, backend) => {
  const { shape, value, dtype } = attrs as { shape: number[]; value: number; dtype?: tf.DataType };
  if (dtype !== 'float32' || typeof value !== 'number') return null;
  return backend.makeTensorInfo(shape, 'float32', constant(native, tf.util.sizeFromShape(shape), value));
};

/** Rows of a concat/split along `axis`: the product of the dimensions before it. */
function rowsBefore(shape: readonly number[], axis: number): number {
  return tf.util.sizeFromShape(shape.slice(0, axis));
}

export const concat: NativeBody = ({ addon, output }, { inputs, attrs }, backend) => {
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
  const out = output(tf.util.sizeFromShape(outShape));
  addon.concat(values as Float32Array[], rowsBefore(outShape, $axis), out);
  return backend.makeTensorInfo(outShape, 'float32', out);
};

export const splitV: NativeBody = ({ addon, output }, { inputs, attrs }, backend) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = attrs as { numOrSizeSplits: number | number[]; axis: number | number[] };
  const xv = float32Values(backend, x);
  if (xv === null || xv.length === 0) return null;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
  const shapes = sizes.map((s) => x.shape.map((d, i) => (i === $axis ? s : d)));
  const parts = shapes.map((shape) => output(tf.util.sizeFromShape(shape)));
  addon.split(xv, rowsBefore(x.shape, $axis), parts);
  return shapes.map((shape, i) => backend.makeTensorInfo(shape, 'float32', parts[i]));
};
