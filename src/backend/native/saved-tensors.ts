import type * as tf from '@tensorflow/tfjs';

/** The members of tfjs's Engine that saving a tensor for the backward pass goes through. */
interface SavingEngine {
  backendName: string;
  backend: tf.KernelBackend;
  state: { gradientDepth: number; tensorInfo: { get(dataId: tf.DataId): { backend: tf.KernelBackend } | undefined } };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: { dataId: tf.DataId; shape: number[]; dtype: tf.DataType }, backend: tf.KernelBackend): tf.Tensor;
}

/**
 * Makes tfjs save the tensors a gradient needs (a kernel's inputs and outputs, a custom
 * gradient's saved values) as plain references to their data while `backendName` runs.
 *
 * tfjs saves each one as a clone: a full Identity kernel call plus a tape node, so that a
 * gradient of that gradient can flow through the saved copy. A training step saves about
 * 500 tensors, and the clones are a third of its kernel calls. The tape node only matters
 * when the saving happens inside another gradient's recording (gradient depth 2 or more:
 * a gradient of a gradient); at depth 0 or 1 the backward pass runs after recording
 * stopped, so nothing ever reads it. There tfjs's own clone still runs, as it does on
 * other backends and for data held by another backend.
 */
export function shareSavedTensors(engine: ReturnType<typeof tf.engine>, backendName: string): void {
  const e = engine as unknown as SavingEngine;
  const clone = e.clone.bind(e);
  e.clone = (x) => {
    if (e.backendName !== backendName || e.state.gradientDepth > 1) return clone(x);
    const backend = e.backend;
    if (e.state.tensorInfo.get(x.dataId)?.backend !== backend) return clone(x);
    backend.incRef(x.dataId); // what the Identity kernel does, minus the kernel call and the tape node
    return e.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, backend);
  };
}
