import type * as tf from '@tensorflow/tfjs';
import type { FusedAdamAttrs } from '../fused-adam.js';
import { float32Input, type CpuBackendLike, type KernelArgs, type NativeContext } from './kernel-util.js';

/** FUSED_ADAM on the native backend: every tensor's update in one addon call (native/src/adam.cc). */
export function fusedAdam({ addon, output }: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo[] {
  const attrs = args.attrs as unknown as FusedAdamAttrs;
  const lists: Float32Array[][] = [[], [], [], [], [], [], []];
  const shapes: number[][] = [];
  for (let i = 0; i < attrs.count; i++) {
    const [p, m, v, g] = ['p', 'm', 'v', 'g'].map((name) => float32Input(backend, args, `${name}${i}`, 'fused Adam')) as [Float32Array, Float32Array, Float32Array, Float32Array];
    shapes.push((args.inputs[`p${i}`] as tf.TensorInfo).shape);
    lists[0].push(p);
    lists[1].push(m);
    lists[2].push(v);
    lists[3].push(g);
    for (let k = 4; k < 7; k++) lists[k].push(output(p.length));
  }
  const step = Float32Array.of(attrs.beta1, attrs.beta2, attrs.eps, attrs.stepSize, attrs.sqrtBiasCorrection2);
  addon.adam(lists[0], lists[1], lists[2], lists[3], lists[4], lists[5], lists[6], step);
  return [4, 5, 6].flatMap((k) => lists[k].map((values, i) => backend.makeTensorInfo(shapes[i], 'float32', values)));
}
