import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Tensors derived from another tensor (a filter transposed or flipped), kept for as long as
 * the source tensor lives.
 *
 * Why: XNNPACK repacks a product's right operand (or a convolution's filter) every time it
 * sees a new tensor, at ~15 ns per element, and the wasm Transpose/Reverse kernels cost as
 * much again. In a training step the same weights go through several backward passes (the
 * CycleGAN step runs G_AB and each discriminator twice) before the optimiser replaces them, so
 * deriving once per weight tensor, rather than once per call, removes most of that cost.
 * XNNPACK's own operator cache is keyed by tensor id, so reusing the derived tensor also
 * reuses its packed weights.
 *
 * Entries are keyed by the source's dataId. tfjs never reuses a dataId, and an optimiser
 * update gives a variable a new one, so a stale entry can never be returned. Entries whose
 * source has been freed are disposed on the next lookup.
 */
export class DerivedTensorCache {
  private readonly entries = new Map<object, { backend: BackendWasm; derived: tf.TensorInfo }>();

  /** The tensor derived from `source` by `derive`, computed on first use. The cache owns it. */
  get(backend: BackendWasm, source: tf.TensorInfo, derive: () => tf.TensorInfo): tf.TensorInfo {
    this.sweep(backend);
    const hit = this.entries.get(source.dataId);
    if (hit != null) return hit.derived;
    const derived = derive();
    this.entries.set(source.dataId, { backend, derived });
    return derived;
  }

  /** Number of live entries (for tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Frees entries whose source is gone, or that belong to another backend instance. */
  private sweep(backend: BackendWasm): void {
    for (const [sourceId, entry] of this.entries) {
      if (entry.backend === backend && backend.dataIdMap.has(sourceId)) continue;
      if (entry.backend.dataIdMap.has(entry.derived.dataId)) entry.backend.disposeData(entry.derived.dataId);
      this.entries.delete(sourceId);
    }
  }
}
