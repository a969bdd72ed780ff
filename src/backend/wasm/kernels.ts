import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv-grads.js';
import { fastConcat, fastSlice, fastSplitV } from './copy-kernels.js';
import { fastBatchMatMul } from './matmul.js';

/**
 * Kernel fixes for @tensorflow/tfjs-backend-wasm 4.22, so that conv nets train on it, and
 * fast. Each replaced kernel keeps the original's setupFunc (which binds its wasm function
 * when the backend starts) and delegates the real arithmetic to the original XNNPACK paths.
 *
 *  - BatchMatMul: transposed or batched operands no longer fall into the scalar loop.
 *  - Conv2DBackpropFilter: missing in wasm (conv training threw); added.
 *  - Conv2DBackpropInput: was a scalar loop; now a product plus col2im, or a convolution.
 *  - Slice, SplitV, Concat: copied the whole input per output and/or allocated per row; now
 *    strided copies between heap views.
 */

const BACKEND = 'wasm';

let installed = false;

/** The names of the kernels this module replaces or adds (for reports and tests). */
export const PATCHED_WASM_KERNELS = ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Slice', 'SplitV', 'Concat'] as const;

/**
 * Registers the fixed kernels. Idempotent. Call it after importing
 * '@tensorflow/tfjs-backend-wasm' (which registers the originals); before or after the wasm
 * backend is initialised both work, since the original setup functions are kept.
 */
export function installWasmKernels(): void {
  if (installed) return;
  const originalMatMul = original('BatchMatMul');
  // The conv gradients need the raw XNNPACK product (untransposed, batch 1), i.e. the original.
  replace(originalMatMul, fastBatchMatMul(originalMatMul.kernelFunc));
  replace(original('Conv2DBackpropInput'), conv2dBackpropInput(originalMatMul.kernelFunc));
  add('Conv2DBackpropFilter', conv2dBackpropFilter(originalMatMul.kernelFunc));
  for (const [name, fast] of [
    ['Slice', fastSlice],
    ['SplitV', fastSplitV],
    ['Concat', fastConcat],
  ] as const) {
    const config = original(name);
    replace(config, fast(config.kernelFunc));
  }
  installed = true;
}

function original(kernelName: string): tf.KernelConfig {
  const config = tf.getKernel(kernelName, BACKEND);
  if (config == null) {
    throw new Error(`wasm kernel ${kernelName} is not registered: import '@tensorflow/tfjs-backend-wasm' first`);
  }
  return config;
}

function replace(config: tf.KernelConfig, kernelFunc: tf.KernelFunc): void {
  tf.unregisterKernel(config.kernelName, BACKEND);
  tf.registerKernel({ ...config, kernelFunc });
}

function add(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, BACKEND) != null) tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc });
}
