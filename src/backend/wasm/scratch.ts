import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Runs wasm kernels on raw TensorInfos inside another kernel, and frees every intermediate
 * it made when the outer kernel is done. Kernels compose other kernels this way (not through
 * tf ops) so that the engine records one kernel, and the gradient tape sees one node.
 */
export class WasmScratch {
  private readonly owned: tf.TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  /** Runs `kernel` (a registered wasm kernel's name, or a kernel function) and owns its output. */
  run(kernel: string | tf.KernelFunc, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernelFunc = typeof kernel === 'string' ? wasmKernel(kernel) : kernel;
    const out = kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`WasmScratch.run expects a single-output kernel`);
    return this.own(out);
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** A new float32 tensor in wasm memory with unspecified contents. */
  allocate(shape: number[]): tf.TensorInfo {
    return this.own(this.backend.makeOutput(shape, 'float32'));
  }

  /**
   * A Float32Array over the tensor's wasm memory. Take it only after the last allocate():
   * growing the wasm heap detaches earlier views.
   */
  view(x: tf.TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(x) as Float32Array;
  }

  /** Hands `x` over to the caller: it survives dispose(). */
  keep(x: tf.TensorInfo): tf.TensorInfo {
    const i = this.owned.indexOf(x);
    if (i >= 0) this.owned.splice(i, 1);
    return x;
  }

  dispose(): void {
    for (const x of this.owned) this.backend.disposeData(x.dataId);
    this.owned.length = 0;
  }

  private own(x: tf.TensorInfo): tf.TensorInfo {
    this.owned.push(x);
    return x;
  }
}

function wasmKernel(name: string): tf.KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (config == null) throw new Error(`wasm kernel ${name} is not registered`);
  return config.kernelFunc;
}

/** Runs `body` with a scratch space and frees everything it allocated except what it kept. */
export function withScratch<T>(backend: BackendWasm, body: (s: WasmScratch) => T): T {
  const scratch = new WasmScratch(backend);
  try {
    return body(scratch);
  } finally {
    scratch.dispose();
  }
}

/** A kernel's named input, which the engine always supplies for these kernels. */
export function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const x = inputs[name];
  if (x == null) throw new Error(`kernel input '${name}' is missing`);
  return x;
}
