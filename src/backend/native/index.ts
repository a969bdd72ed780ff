import * as tf from '@tensorflow/tfjs';
import { totalmem } from 'node:os';
import { BackendOptions, StartOutcome } from '../candidate.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { BufferPool, recycleBuffers } from './buffers.js';
import { FilterKeys } from './filter-keys.js';
import { shareSavedTensors } from './saved-tensors.js';
import { afterPendingWork, readAfterPendingWork } from './pending-work.js';
import { registerBroadcastReductionGradients } from './gradients.js';
import { registerFusedConvBiasGradient } from '../fused-conv-bias.js';
import { setResidualCoverage } from '../fused-residual.js';
import { residualCovered } from './residual-kernel.js';
import { nativeKernel, type CpuBackendLike, type NativeContext } from './kernel-util.js';
import { FUSED_NATIVE_KERNELS, NATIVE_KERNELS } from './kernels.js';

/**
 * The 'native' backend: tfjs's plain cpu backend (JavaScript typed arrays) with its heavy
 * kernels replaced by the native addon's (oneDNN convolutions and matrix products,
 * multi-threaded element-wise kernels), and their output buffers recycled. It is a
 * backend of its own, not a patch of 'cpu', so that the cpu backend stays the pure
 * reference the tests compare against.
 */

export const NATIVE_BACKEND = 'native';
/** Below cpu's priority 1: registering it never changes tfjs's default backend. */
const PRIORITY = 0;
/** Free output buffers kept for reuse: a training step's churn, within reason. */
const POOL_BYTES = Math.min(4 * 2 ** 30, totalmem() / 4);

let registered = false;

/**
 * Registers the native backend and its kernels with tfjs (once): every cpu kernel, then
 * the addon's over the ones it replaces (the cpu kernels left wait for the addon's queued
 * work, pending-work.ts), then the fused kernels the cpu backend lacks
 * (Adam, instance norm, GLU); Sum/Mean gradients that need no tensors of ones
 * (native-gradients.ts; the same values on every backend); and tensors saved for the
 * backward pass shared rather than cloned (saved-tensors.ts).
 */
export function registerNativeBackend(addon: NativeAddon): void {
  if (registered) return;
  const cpuFactory = tf.findBackendFactory('cpu');
  if (cpuFactory == null) throw new Error('the tfjs cpu backend is not registered');
  const pool = new BufferPool(POOL_BYTES, (buffer) => addon.busy(buffer));
  const filterKeys = new FilterKeys(addon);
  tf.registerBackend(NATIVE_BACKEND, () => nativeCpuBackend(cpuFactory, addon, pool, filterKeys), PRIORITY);
  const native: NativeContext = { addon, output: (length) => pool.take(length), filterKey: (dataId) => filterKeys.keyOf(dataId) };
  for (const config of tf.getKernelsForBackend('cpu')) {
    const body = NATIVE_KERNELS[config.kernelName];
    const cpuKernel = afterPendingWork(addon, config.kernelName, config.kernelFunc);
    const kernelFunc = body === undefined ? cpuKernel : nativeKernel(native, body, cpuKernel);
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND, kernelFunc });
  }
  for (const [kernelName, body] of Object.entries(FUSED_NATIVE_KERNELS)) {
    tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND, kernelFunc: (args) => body(native, args, args.backend as CpuBackendLike) });
  }
  setResidualCoverage(NATIVE_BACKEND, (xShape, kernel, pad) => residualCovered(addon, xShape, kernel, pad));
  registerBroadcastReductionGradients();
  registerFusedConvBiasGradient();
  shareSavedTensors(tf.engine(), NATIVE_BACKEND);
  registered = true;
}

/**
 * A new cpu backend instance for the native backend to run on, recycling the native
 * kernels' outputs through `pool`, forgetting the converted filters of freed data, and
 * reading values only once the addon's queued work has run (pending-work.ts).
 * Each cpu backend instance also prints an "install tfjs-node to speed things up" banner
 * on first use, which would be wrong advice here: the flag it checks is cleared.
 */
async function nativeCpuBackend(
  factory: () => tf.KernelBackend | Promise<tf.KernelBackend>,
  addon: NativeAddon,
  pool: BufferPool,
  filterKeys: FilterKeys,
): Promise<tf.KernelBackend> {
  const backend = await factory();
  if ('firstUse' in backend) (backend as { firstUse: boolean }).firstUse = false;
  recycleBuffers(backend, pool, [filterKeys]);
  readAfterPendingWork(backend, addon);
  return backend;
}

/** Starts the native backend, or says why it cannot run here (addon not built, or does not load). */
export async function startNative(options: BackendOptions): Promise<StartOutcome> {
  const load = loadNativeAddon();
  if (!load.ok) return { ok: false, reason: load.reason };
  const { addon } = load;
  if (options.threads != null) addon.setThreads(options.threads);
  registerNativeBackend(addon);
  if (!(await tf.setBackend(NATIVE_BACKEND))) return { ok: false, reason: 'the native backend failed to initialise' };
  const threads = addon.threads();
  return { ok: true, description: `${addon.library()} kernels over the cpu backend (${threads} thread${threads === 1 ? '' : 's'})` };
}
