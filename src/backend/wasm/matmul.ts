import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { input, WasmScratch, withScratch } from './scratch.js';

/**
 * tfjs-backend-wasm 4.22 sends a BatchMatMul to XNNPACK only when neither operand is
 * transposed and both have batch 1; anything else falls into a scalar loop 10-20x slower.
 * Every backward pass of a matmul asks for transposes, and batched products are common, so
 * this wrapper rewrites each call into XNNPACK-sized pieces: it materialises transposes with
 * the wasm Transpose kernel (cheap: O(size) against O(size^1.5) for the product) and folds
 * or splits the batch, then calls the original kernel with transpose flags off.
 */
export function fastBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const a = input(args.inputs, 'a');
    const b = input(args.inputs, 'b');
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
    // General broadcasting between two different batch sizes (e.g. [2,1,..] x [1,3,..]) is
    // left to the original kernel; the networks never ask for it.
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return original(args);

    const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return withScratch(args.backend as BackendWasm, (s) => {
      const a3 = asUntransposed3d(s, a, batchA, transposeA);
      const b3 = asUntransposed3d(s, b, batchB, transposeB);
      const [, m, k] = a3.shape;
      const n = b3.shape[2];
      if (b3.shape[1] !== k) {
        throw new Error(`matMul: inner dimensions ${k} and ${b3.shape[1]} of shapes [${a.shape}] and [${b.shape}] differ`);
      }
      const product3 = batchedProduct(s, original, a3, b3, batchA, batchB, m, k, n);
      return s.keep(s.reshape(product3, [...outBatchShape, m, n]));
    });
  };
}

/** x as [batch, rows, cols] with the transpose (if any) materialised. */
function asUntransposed3d(s: WasmScratch, x: tf.TensorInfo, batch: number, transposed: boolean): tf.TensorInfo {
  const rank = x.shape.length;
  const x3 = s.reshape(x, [batch, x.shape[rank - 2], x.shape[rank - 1]]);
  return transposed ? s.transpose(x3, [0, 2, 1]) : x3;
}

/** One XNNPACK product: both operands are [1, rows, cols] and untransposed. */
function product(s: WasmScratch, original: tf.KernelFunc, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return s.run(original, { a, b }, { transposeA: false, transposeB: false });
}

function batchedProduct(
  s: WasmScratch,
  original: tf.KernelFunc,
  a3: tf.TensorInfo,
  b3: tf.TensorInfo,
  batchA: number,
  batchB: number,
  m: number,
  k: number,
  n: number,
): tf.TensorInfo {
  if (batchA === 1 && batchB === 1) return product(s, original, a3, b3);
  if (batchB === 1) {
    // Shared right operand: the batch of a is just more rows.
    const rows = product(s, original, s.reshape(a3, [1, batchA * m, k]), b3);
    return s.reshape(rows, [batchA, m, n]);
  }
  if (batchA === 1) {
    // Shared left operand: lay the b matrices side by side, [k, batchB*n], in one product.
    const side = s.reshape(s.transpose(b3, [1, 0, 2]), [1, k, batchB * n]);
    const wide = product(s, original, a3, side);
    return s.transpose(s.reshape(wide, [m, batchB, n]), [1, 0, 2]);
  }
  // Independent pairs: one product per batch entry, copied into place.
  const out = s.allocate([batchA, m, n]);
  const pieces: tf.TensorInfo[] = [];
  for (let i = 0; i < batchA; i++) {
    const ai = s.run('Slice', { x: a3 }, { begin: [i, 0, 0], size: [1, m, k] });
    const bi = s.run('Slice', { x: b3 }, { begin: [i, 0, 0], size: [1, k, n] });
    pieces.push(product(s, original, ai, bi));
  }
  const outView = s.view(out);
  pieces.forEach((piece, i) => outView.set(s.view(piece), i * m * n));
  return out;
}
