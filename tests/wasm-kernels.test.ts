import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { PATCHED_WASM_KERNELS } from '../src/backend/wasm/kernels.js';

/**
 * Every kernel the backend module replaces or adds on wasm must give the cpu backend's
 * values and gradients. Inputs are random; shapes are deliberately odd.
 */

const TOLERANCE = 1e-4;

/** A deterministic pseudo-random array in [-1, 1) (xorshift), so failures reproduce. */
function randomArray(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

type Shape = number[];

/** Runs `compute` on fresh tensors made from the same data on `backend` and returns all outputs' values. */
async function runOn(backend: string, shapes: Shape[], compute: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = shapes.map((shape, i) => tf.tensor(randomArray(tf.util.sizeFromShape(shape), 1234 + 17 * i), shape));
    return compute(...xs).map((t) => t.dataSync() as Float32Array);
  });
}

/** max |a - b| over max |b|: a scale-aware relative error that is fine near zero entries. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

async function expectWasmMatchesCpu(shapes: Shape[], compute: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  const expected = await runOn('cpu', shapes, compute);
  const actual = await runOn('wasm', shapes, compute);
  expect(actual.length).toBe(expected.length);
  actual.forEach((values, i) => expect(relativeError(values, expected[i])).toBeLessThan(TOLERANCE));
}

/**
 * f's output and the gradients of a random projection of it (so every output element
 * contributes with its own weight) with respect to every input.
 */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor) {
  return (...xs: tf.Tensor[]): tf.Tensor[] => {
    const y = f(...xs);
    const weights = tf.tensor(randomArray(y.size, 99), y.shape);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), weights)))(xs);
    return [y, ...grads];
  };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('wasm kernel fixes', () => {
  it('are registered on the wasm backend', () => {
    for (const name of PATCHED_WASM_KERNELS) expect(tf.getKernel(name, 'wasm')).toBeDefined();
  });
});

describe('BatchMatMul on wasm equals cpu', () => {
  const transposes: [boolean, boolean][] = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  for (const [ta, tb] of transposes) {
    it(`2-D 7x5 by 5x9, transposeA=${ta} transposeB=${tb}, with gradients`, async () => {
      const aShape = ta ? [5, 7] : [7, 5];
      const bShape = tb ? [9, 5] : [5, 9];
      await expectWasmMatchesCpu([aShape, bShape], valueAndGrads((a, b) => tf.matMul(a, b, ta, tb)));
    });
  }

  it('batch 2 on both sides, transposed, with gradients', async () => {
    await expectWasmMatchesCpu([[2, 5, 7], [2, 9, 5]], valueAndGrads((a, b) => tf.matMul(a, b, true, true)));
  });

  // tfjs's BatchMatMul gradient does not reduce broadcast batch dimensions, on any backend,
  // so these two compare values only.
  it('batched left operand against a shared right operand', async () => {
    await expectWasmMatchesCpu([[3, 7, 5], [5, 9]], (a, b) => [tf.matMul(a, b)]);
  });

  it('shared left operand against a batched right operand, transposed', async () => {
    await expectWasmMatchesCpu([[5, 7], [3, 9, 5]], (a, b) => [tf.matMul(a, b, true, true)]);
  });

  it('rank-4 operands', async () => {
    await expectWasmMatchesCpu([[2, 3, 4, 5], [2, 3, 5, 6]], valueAndGrads((a, b) => tf.matMul(a, b)));
  });
});

interface ConvCase {
  label: string;
  x: Shape;
  filter: Shape;
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
}

const convCases: ConvCase[] = [
  { label: "kernel (5,15), stride 1, 'same', batch 2, odd H/W, 3 channels", x: [2, 9, 17, 3], filter: [5, 15, 3, 4], strides: 1, pad: 'same' },
  { label: "kernel 5, stride 2, 'same', odd H/W", x: [2, 9, 11, 3], filter: [5, 5, 3, 4], strides: 2, pad: 'same' },
  { label: "kernel 3, stride 2, 'valid'", x: [1, 9, 12, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'valid' },
  { label: "kernel (1,3) on H=1 (a 1-D conv), 'same'", x: [2, 1, 15, 6], filter: [1, 3, 6, 4], strides: 1, pad: 'same' },
  // Numeric padding only with square kernels: tfjs-core sizes the output width from the
  // filter height when the padding is a number, on every backend.
  { label: 'kernel 3, numeric pad 1, stride 2', x: [2, 8, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 1 },
  {
    label: 'explicit asymmetric padding, strides (2,1)',
    x: [2, 7, 10, 3],
    filter: [3, 4, 3, 2],
    strides: [2, 1],
    pad: [[0, 0], [1, 2], [0, 3], [0, 0]],
  },
  { label: 'filter wider than the input, 1 output channel', x: [1, 5, 4, 2], filter: [3, 7, 2, 1], strides: 1, pad: 'same' },
  { label: "1 output channel from 6, kernel (5,15), 'same' (the generator's output conv)", x: [2, 8, 13, 6], filter: [5, 15, 6, 1], strides: 1, pad: 'same' },
  { label: "fewer outputs than inputs, 'valid', stride 1", x: [1, 7, 9, 5], filter: [3, 3, 5, 2], strides: 1, pad: 'valid' },
  // Few pixels and many filter taps (the deep layers): the input gradient streams the filter.
  { label: "deep layer: 3x4 pixels, 16 -> 32 channels, 'same'", x: [1, 3, 4, 16], filter: [3, 3, 16, 32], strides: 1, pad: 'same' },
  { label: 'deep layer, stride 2, batch 2', x: [2, 5, 4, 8], filter: [3, 3, 8, 16], strides: 2, pad: 'same' },
  {
    label: 'deep layer, explicit asymmetric padding, stride 2',
    x: [1, 5, 6, 8],
    filter: [3, 3, 8, 12],
    strides: 2,
    pad: [[0, 0], [1, 2], [2, 0], [0, 0]],
  },
  {
    label: 'explicit padding wider than the filter, stride 1',
    x: [1, 6, 7, 4],
    filter: [2, 3, 4, 2],
    strides: 1,
    pad: [[0, 0], [3, 1], [0, 4], [0, 0]],
  },
];

describe('Conv2D gradients (Conv2DBackpropInput, Conv2DBackpropFilter) on wasm equal cpu', () => {
  for (const c of convCases) {
    it(c.label, async () => {
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad);
      await expectWasmMatchesCpu([c.x, c.filter], valueAndGrads(conv));
    });
  }

  // Both stride-1 paths derive a tensor from the filter once and cache it per filter tensor:
  // Cout < Cin takes the convolution path, Cout >= Cin the product path.
  for (const cout of [3, 8]) {
    it(`Conv2DBackpropInput with several filters in turn, ${cout} output channels from 5`, async () => {
      const inShape: [number, number, number, number] = [1, 6, 9, 5];
      const dyShape = [1, 6, 9, cout];
      const wShape = [3, 5, 5, cout];
      // Filters 0, 1, 0 again, 2: a stale cache entry would give filter 0's result for 1 or 2.
      await expectWasmMatchesCpu([dyShape, wShape, wShape, wShape], (dy, w0, w1, w2) =>
        [w0, w1, w0, w2].map((w) => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, inShape, 1, 'same')),
      );
    });

    it(`frees what it derived from a filter once the filter is disposed, ${cout} output channels`, async () => {
      await tf.setBackend('wasm');
      const backend = tf.backend();
      const dy = tf.randomNormal([1, 6, 9, cout]) as tf.Tensor4D;
      const backprop = (w: tf.Tensor4D) => tf.tidy(() => void tf.conv2dTranspose(dy, w, [1, 6, 9, 5], 1, 'same').dataSync());
      const withNewFilter = () => {
        const w = tf.randomNormal([3, 5, 5, cout]) as tf.Tensor4D;
        backprop(w);
        w.dispose();
      };
      withNewFilter();
      const before = backend.numDataIds();
      for (let i = 0; i < 5; i++) withNewFilter();
      expect(backend.numDataIds()).toBe(before);
      dy.dispose();
    });
  }

  it('Conv2DBackpropInput directly (conv2dTranspose), stride 2', async () => {
    const outShape: [number, number, number, number] = [2, 9, 11, 3];
    await expectWasmMatchesCpu([[2, 5, 6, 4], [5, 5, 3, 4]], (dy, w) => [
      tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, outShape, 2, 'same'),
    ]);
  });
});

describe('Slice, SplitV, Concat on wasm equal cpu', () => {
  it('split along the channel axis into two halves (GLU), with gradients', async () => {
    await expectWasmMatchesCpu([[2, 5, 7, 6]], valueAndGrads((x) => {
      const [a, b] = tf.split(x, 2, 3);
      return tf.mul(a, tf.sigmoid(b));
    }));
  });

  it('split into unequal sizes along a middle axis, and a 1-D split', async () => {
    await expectWasmMatchesCpu([[3, 9, 5], [11]], (x, v) => [...tf.split(x, [2, 4, 3], 1), ...tf.split(v, [5, 6], 0)]);
  });

  it('slices: inner, middle and leading axes, a full-width row, rank 1 and rank 5', async () => {
    await expectWasmMatchesCpu([[4, 6, 5, 7], [13], [2, 3, 2, 3, 4]], (x, v, w) => [
      tf.slice(x, [1, 2, 1, 3], [2, 3, 4, 3]),
      tf.slice(x, [0, 1, 0, 0], [4, 4, 5, 7]),
      tf.slice(x, [3, 0, 0, 0], [1, 6, 5, 7]),
      tf.slice(v, [4], [6]),
      tf.slice(w, [1, 0, 1, 1, 0], [1, 3, 1, 2, 3]),
    ]);
  });

  it('slice gradient (a pad)', async () => {
    await expectWasmMatchesCpu([[2, 6, 5, 4]], valueAndGrads((x) => tf.slice(x, [0, 1, 1, 1], [2, 4, 3, 2])));
  });

  it('concat along each axis, with more than two inputs and an int32 concat', async () => {
    await expectWasmMatchesCpu([[2, 3, 4], [2, 3, 5], [2, 3, 1], [2, 2, 4], [1, 3, 4]], (a, b, c, d, e) => [
      tf.concat([a, b, c], 2),
      tf.concat([a, d], 1),
      tf.concat([a, e, a], 0),
      tf.concat([tf.cast(tf.mul(a, 10), 'int32'), tf.cast(tf.mul(c, 10), 'int32')], 2).toFloat(),
    ]);
  });

  it('concat gradient', async () => {
    await expectWasmMatchesCpu([[2, 5, 3], [2, 5, 4]], valueAndGrads((a, b) => tf.concat([a, b], 2)));
  });
});
