import type * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';

/**
 * The addon runs its kernels in the background (native/src/executor.h): a native kernel
 * returns tensors whose values are still being computed. The addon orders its own calls,
 * so native kernels chain without waiting; JavaScript must wait before it looks at values
 * itself. That is a tensor read (dataSync, data) and any cpu-backend kernel, which reads
 * its inputs in JavaScript; except the kernels that only relabel data without reading it.
 */

/** The cpu backend's kernels that never read their inputs' values (they share the data). */
const VALUE_FREE_KERNELS = new Set(['Reshape', 'Identity']);

/** Whether a cpu kernel call reads no values: Reshape, Identity, or a Cast to the same dtype (also a relabel). */
function readsNoValues(kernelName: string, args: Parameters<tf.KernelFunc>[0]): boolean {
  if (VALUE_FREE_KERNELS.has(kernelName)) return true;
  if (kernelName !== 'Cast') return false;
  const x = args.inputs.x as tf.TensorInfo | undefined;
  return x !== undefined && (args.attrs as { dtype?: tf.DataType }).dtype === x.dtype;
}

/** A cpu kernel that waits for the addon's queued work before it reads its inputs. */
export function afterPendingWork(addon: Pick<NativeAddon, 'sync'>, kernelName: string, kernel: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    if (!readsNoValues(kernelName, args)) addon.sync();
    return kernel(args);
  };
}

/** The part of tfjs's MathBackendCPU that hands values to JavaScript, and times kernels. */
interface ReadingBackend {
  readSync(dataId: tf.DataId): unknown;
  read(dataId: tf.DataId): Promise<unknown>;
  time(f: () => void): Promise<tf.BackendTimingInfo>;
}

/**
 * Makes `backend`'s reads wait for the addon's queued work first; and its kernel timings
 * (tf.profile, tf.time) last until the work the kernel queued has run.
 */
export function readAfterPendingWork(backend: tf.KernelBackend, addon: Pick<NativeAddon, 'sync'>): void {
  const cpu = backend as unknown as ReadingBackend;
  const readSync = cpu.readSync.bind(cpu);
  const read = cpu.read.bind(cpu);
  cpu.readSync = (dataId) => {
    addon.sync();
    return readSync(dataId);
  };
  cpu.read = async (dataId) => {
    addon.sync();
    return read(dataId);
  };
  cpu.time = async (f) => {
    addon.sync();
    const start = performance.now();
    f();
    addon.sync();
    return { kernelMs: performance.now() - start };
  };
}
