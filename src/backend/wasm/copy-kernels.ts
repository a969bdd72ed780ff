import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { input } from './scratch.js';

/**
 * Slice, SplitV and Concat for wasm, as strided copies straight between wasm-heap views.
 *
 * The package's versions run in JS too, but Slice (and SplitV, built on it) first copies the
 * whole input out of the heap (readSync) for every output, and all three copy row by row with
 * a fresh subarray() per row. For the GLU's split and its gradient's concat along the channel
 * axis of a [2, 80, 64, 64] activation that was ~8 ms and ~4 ms per call; these take well
 * under a millisecond.
 */

type HeapArray = Float32Array | Int32Array | Uint8Array;

// Runs shorter than this are copied element by element: subarray() allocates a view per call.
const MIN_BULK_COPY = 64;

/** Copies `count` runs of `run` elements; run i starts at srcStart + i*srcStride (dst likewise). */
export function copyRuns(
  src: HeapArray,
  srcStart: number,
  srcStride: number,
  dst: HeapArray,
  dstStart: number,
  dstStride: number,
  run: number,
  count: number,
): void {
  for (let i = 0, s = srcStart, d = dstStart; i < count; i++, s += srcStride, d += dstStride) {
    if (run >= MIN_BULK_COPY) {
      dst.set(src.subarray(s, s + run), d);
    } else {
      for (let j = 0; j < run; j++) dst[d + j] = src[s + j];
    }
  }
}

function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

function view(backend: BackendWasm, x: tf.TensorInfo): HeapArray {
  return backend.typedArrayFromHeap(x) as HeapArray;
}

/**
 * Copies the block begin..begin+size of x (shape `shape`) into `out`. Trailing axes taken
 * whole merge into one contiguous run; the leading axes are walked like an odometer.
 */
export function copyBlock(x: HeapArray, shape: readonly number[], begin: readonly number[], size: readonly number[], out: HeapArray): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const inner = product(shape.slice(k + 1));
  const strides = shape.map((_, a) => product(shape.slice(a + 1)));
  const run = size[k] * inner;
  // Rows: every index combination of the axes before k (within the block); axis k is the run.
  const outer = size.slice(0, k);
  const rows = product(outer);
  const index = new Array<number>(k).fill(0);
  let dst = 0;
  for (let r = 0; r < rows; r++) {
    let src = begin[k] * inner;
    for (let a = 0; a < k; a++) src += (begin[a] + index[a]) * strides[a];
    copyRuns(x, src, 0, out, dst, 0, run, 1);
    dst += run;
    for (let a = k - 1; a >= 0; a--) {
      if (++index[a] < outer[a]) break;
      index[a] = 0;
    }
  }
}

export function fastSlice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = input(args.inputs, 'x');
    if (x.dtype === 'string') return original(args);
    const backend = args.backend as BackendWasm;
    const attrs = args.attrs as unknown as tf.SliceAttrs;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    const out = backend.makeOutput(size, x.dtype);
    if (tf.util.sizeFromShape(size) > 0) copyBlock(view(backend, x), x.shape, begin, size, view(backend, out));
    return out;
  };
}

export function fastSplitV(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = input(args.inputs, 'x');
    if (x.dtype === 'string') return original(args);
    const backend = args.backend as BackendWasm;
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const outer = product(x.shape.slice(0, ax));
    const inner = product(x.shape.slice(ax + 1));
    const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, a) => (a === ax ? s : d)), x.dtype));
    // Views only after every allocation: growing the heap detaches earlier ones.
    const xs = view(backend, x);
    let offset = 0;
    outs.forEach((out, i) => {
      const run = sizes[i] * inner;
      copyRuns(xs, offset * inner, x.shape[ax] * inner, view(backend, out), 0, run, run, outer);
      offset += sizes[i];
    });
    return outs;
  };
}

export function fastConcat(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    if (inputs.length === 0 || inputs[0].dtype === 'string') return original(args);
    const backend = args.backend as BackendWasm;
    const ax = tf.util.parseAxisParam((args.attrs as unknown as tf.ConcatAttrs).axis, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, ax);
    const outShape = tf.backend_util.computeOutShape(shapes, ax);
    const out = backend.makeOutput(outShape, inputs[0].dtype);
    const outer = product(outShape.slice(0, ax));
    const outRow = product(outShape.slice(ax));
    const dst = view(backend, out);
    let offset = 0;
    for (const t of inputs) {
      const run = product(t.shape.slice(ax));
      if (run > 0) copyRuns(view(backend, t), 0, run, dst, offset, outRow, run, outer);
      offset += run;
    }
    return out;
  };
}
