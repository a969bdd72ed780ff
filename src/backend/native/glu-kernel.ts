import type * as tf from '@tensorflow/tfjs';
import { float32Input, type CpuBackendLike, type KernelArgs, type NativeContext } from './kernel-util.js';

/** FUSED_GLU(_GRAD) on the native backend (native/src/elementwise.cc glu, gluGrad). */

const values = (backend: CpuBackendLike, args: KernelArgs, name: string): Float32Array => float32Input(backend, args, name, 'fused GLU');

/** Half of x's last axis (the GLU's output channels). */
function halfChannels(x: tf.TensorInfo): number {
  const channels = x.shape[x.shape.length - 1]!;
  if (channels % 2 !== 0) throw new Error(`fused GLU needs an even channel count, got ${channels}`);
  return channels / 2;
}

export function fusedGlu({ addon, output }: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const c = halfChannels(x);
  const xv = values(backend, args, 'x');
  const y = output(xv.length / 2);
  addon.glu(c, xv, y);
  return backend.makeTensorInfo([...x.shape.slice(0, -1), c], 'float32', y);
}

export function fusedGluGrad({ addon, output }: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const xv = values(backend, args, 'x');
  const dx = output(xv.length);
  addon.gluGrad(halfChannels(x), values(backend, args, 'dy'), xv, dx);
  return backend.makeTensorInfo(x.shape, 'float32', dx);
}
