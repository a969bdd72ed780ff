import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';

/** What the native kernels share: access to the cpu backend's buffers, and the fallback. */

/** The part of tfjs's MathBackendCPU these kernels use. */
export interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

export type KernelArgs = Parameters<tf.KernelFunc>[0];
/** A native kernel body: the output(s), or null when it does not cover these inputs. */
export type NativeBody = (native: NativeContext, args: KernelArgs, backend: CpuBackendLike) => tf.TensorInfo | tf.TensorInfo[] | null;

/** What a native kernel body works with: the addon, and where its outputs come from. */
export interface NativeContext {
  addon: NativeAddon;
  /** An output buffer of `length` floats, possibly recycled: the kernel must write every element. */
  output(length: number): Float32Array;
  /** The addon's key for a convolution filter's data (filter-keys.ts). */
  filterKey(dataId: tf.DataId): number;
}

/** The Float32Array behind a float32 tensor of the cpu backend, or null for anything else. */
export function float32Values(backend: CpuBackendLike, t: tf.TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}

/**
 * The Float32Array of input `name` of a kernel the native backend alone provides (the fused
 * ones): there is no cpu kernel to fall back to, so anything else is an error naming it.
 */
export function float32Input(backend: CpuBackendLike, args: KernelArgs, name: string, kernel: string): Float32Array {
  const t = args.inputs[name] as tf.TensorInfo | undefined;
  const values = t === undefined ? null : float32Values(backend, t);
  if (values === null) throw new Error(`${kernel}: input ${name} is not a float32 tensor of the native backend`);
  return values;
}

/** A kernel the native backend alone provides (no cpu fallback): its output(s). */
export type FusedBody = (native: NativeContext, args: KernelArgs, backend: CpuBackendLike) => tf.TensorInfo | tf.TensorInfo[];

/**
 * The kernel function registered on the native backend: the native body, or the cpu
 * backend's kernel (`fallback`) where the body does not cover the inputs.
 */
export function nativeKernel(native: NativeContext, body: NativeBody, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => body(native, args, args.backend as CpuBackendLike) ?? fallback(args);
}
