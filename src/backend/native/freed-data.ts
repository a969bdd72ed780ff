import type * as tf from '@tensorflow/tfjs';

/** What is told when a cpu backend frees a tensor's data, or is disposed itself. */
export interface FreedDataListener {
  /** The data under `dataId` (its buffer `values`) is gone: no tensor refers to it any more. */
  freed(dataId: tf.DataId, values: unknown): void;
  /** The backend instance was disposed, and all its data with it. */
  disposed(): void;
}

/** The part of tfjs's MathBackendCPU that frees data. */
interface DisposingBackend {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined; has(dataId: tf.DataId): boolean };
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  dispose(): void;
}

/**
 * Tells `listeners`, in order, each time `backend` frees a tensor's data (a disposeData
 * that removed it, not one that only dropped a reference) and when the backend is
 * disposed. One hook for every listener: each freeing costs one lookup, however many
 * things hang off it (the native backend's recycled buffers and converted filters).
 */
export function onFreedData(backend: tf.KernelBackend, listeners: readonly FreedDataListener[]): void {
  const cpu = backend as unknown as DisposingBackend;
  const disposeData = cpu.disposeData.bind(cpu);
  cpu.disposeData = (dataId, force) => {
    const values = cpu.data.get(dataId)?.values;
    const disposed = disposeData(dataId, force);
    if (disposed && !cpu.data.has(dataId)) for (const listener of listeners) listener.freed(dataId, values);
    return disposed;
  };
  const dispose = cpu.dispose.bind(cpu);
  cpu.dispose = () => {
    dispose();
    for (const listener of listeners) listener.disposed();
  };
}
