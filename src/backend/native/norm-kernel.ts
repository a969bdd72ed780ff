import type * as tf from '@tensorflow/tfjs';
import { float32Input, type CpuBackendLike, type KernelArgs, type NativeContext } from './kernel-util.js';

/** FUSED_INSTANCE_NORM(_GLU)(_GRAD) on the native backend (native/src/norm.cc, norm_glu.cc). */

const values = (backend: CpuBackendLike, args: KernelArgs, name: string): Float32Array => float32Input(backend, args, name, 'fused instance norm');

/** [N, S, C] of an NHWC tensor. */
function normShape(x: tf.TensorInfo): Int32Array {
  const [n, h, w, c] = x.shape;
  if (x.shape.length !== 4) throw new Error(`fused instance norm: x must be 4-D, got [${x.shape}]`);
  return Int32Array.of(n!, h! * w!, c!);
}

export function fusedInstanceNorm({ addon, output }: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  const shape = normShape(x);
  const [n, , c] = shape;
  const xv = values(backend, args, 'x');
  const y = output(xv.length);
  const mean = output(n! * c!);
  const rstd = output(n! * c!);
  addon.instanceNorm(shape, (args.attrs as { eps: number }).eps, xv, values(backend, args, 'gamma'), values(backend, args, 'beta'), y, mean, rstd);
  return [backend.makeTensorInfo(x.shape, 'float32', y), backend.makeTensorInfo([n!, c!], 'float32', mean), backend.makeTensorInfo([n!, c!], 'float32', rstd)];
}

/**
 * dx, dgamma and dbeta of either fused norm: `run` hands the addon the shape, x, the
 * inputs named in `inputs` (in that order) and the three outputs.
 */
function normGradients(
  { output }: NativeContext,
  args: KernelArgs,
  backend: CpuBackendLike,
  inputs: string[],
  run: (shape: Int32Array, x: Float32Array, inputs: Float32Array[], dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array) => void,
): tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  const shape = normShape(x);
  const c = shape[2]!;
  const xv = values(backend, args, 'x');
  const dx = output(xv.length);
  const dgamma = output(c);
  const dbeta = output(c);
  run(shape, xv, inputs.map((name) => values(backend, args, name)), dx, dgamma, dbeta);
  return [backend.makeTensorInfo(x.shape, 'float32', dx), backend.makeTensorInfo([c], 'float32', dgamma), backend.makeTensorInfo([c], 'float32', dbeta)];
}

export function fusedInstanceNormGrad(native: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo[] {
  return normGradients(native, args, backend, ['dy', 'gamma', 'mean', 'rstd'], (shape, x, [dy, gamma, mean, rstd], dx, dgamma, dbeta) =>
    native.addon.instanceNormGrad(shape, dy!, x, gamma!, mean!, rstd!, dx, dgamma, dbeta),
  );
}

/** The gated half of x's channels (the GLU's output channels). */
function gatedChannels(x: tf.TensorInfo): number {
  const channels = x.shape[3]!;
  if (channels % 2 !== 0) throw new Error(`fused instance norm + GLU needs an even channel count, got ${channels}`);
  return channels / 2;
}

export function fusedInstanceNormGlu({ addon, output }: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  const shape = normShape(x);
  const [n, , c] = shape;
  const half = gatedChannels(x);
  const xv = values(backend, args, 'x');
  const out = output(xv.length / 2);
  const mean = output(n! * c!);
  const rstd = output(n! * c!);
  addon.instanceNormGlu(shape, (args.attrs as { eps: number }).eps, xv, values(backend, args, 'gamma'), values(backend, args, 'beta'), out, mean, rstd);
  return [
    backend.makeTensorInfo([...x.shape.slice(0, 3), half], 'float32', out),
    backend.makeTensorInfo([n!, c!], 'float32', mean),
    backend.makeTensorInfo([n!, c!], 'float32', rstd),
  ];
}

export function fusedInstanceNormGluGrad(native: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo[] {
  return normGradients(native, args, backend, ['dy', 'gamma', 'beta', 'mean', 'rstd'], (shape, x, [dy, gamma, beta, mean, rstd], dx, dgamma, dbeta) =>
    native.addon.instanceNormGluGrad(shape, dy!, x, gamma!, beta!, mean!, rstd!, dx, dgamma, dbeta),
  );
}
