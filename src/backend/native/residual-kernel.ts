import type * as tf from '@tensorflow/tfjs';
import { FUSED_RESIDUAL, type FusedResidualAttrs } from '../fused-residual.js';
import type { NativeAddon } from './addon.js';
import { float32Input, type CpuBackendLike, type KernelArgs, type NativeContext } from './kernel-util.js';

/** FUSED_RESIDUAL(_GRAD) on the native backend (native/src/residual.cc). */

/** The addon's 10-int description of a block: [N, H, W, C, kH, kW, padTop, padBottom, padLeft, padRight]. */
export function residualShapeInts(xShape: readonly number[], kernel: readonly [number, number], pad: FusedResidualAttrs['pad']): Int32Array {
  const [n, h, w, c] = xShape;
  if (xShape.length !== 4) throw new Error(`${FUSED_RESIDUAL}: x must be 4-D, got [${xShape}]`);
  return Int32Array.of(n!, h!, w!, c!, kernel[0], kernel[1], pad[0][0], pad[0][1], pad[1][0], pad[1][1]);
}

/** Whether the addon runs this block: its padding keeps the size, and every conv pass is native. */
export function residualCovered(addon: NativeAddon, xShape: readonly number[], kernel: readonly [number, number], pad: FusedResidualAttrs['pad']): boolean {
  const keepsSize = pad[0][0] + pad[0][1] + 1 === kernel[0] && pad[1][0] + pad[1][1] + 1 === kernel[1];
  return xShape.length === 4 && keepsSize && pad.flat().every((p) => p >= 0) && addon.residualSupported(residualShapeInts(xShape, kernel, pad));
}

const input = (backend: CpuBackendLike, args: KernelArgs, name: string): Float32Array => float32Input(backend, args, name, 'fused residual block');

/** The block's sizes from x and w1 ([kH, kW, C, 2C]). */
function blockShape(args: KernelArgs): { x: tf.TensorInfo; shape: Int32Array; c: number } {
  const x = args.inputs.x as tf.TensorInfo;
  const w1 = args.inputs.w1 as tf.TensorInfo;
  const shape = residualShapeInts(x.shape, [w1.shape[0]!, w1.shape[1]!], (args.attrs as unknown as FusedResidualAttrs).pad);
  return { x, shape, c: x.shape[3]! };
}

export function fusedResidual({ addon, output, filterKey }: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo[] {
  const { x, shape } = blockShape(args);
  const [xv, w1, b1, g1, be1, w2, b2, g2, be2] = ['x', 'w1', 'b1', 'g1', 'be1', 'w2', 'b2', 'g2', 'be2'].map((name) => input(backend, args, name));
  const y = output(xv!.length);
  const workspace = output(addon.residualWorkspaceSize(shape));
  const key = (name: string) => filterKey((args.inputs[name] as tf.TensorInfo).dataId);
  addon.residualBlock(shape, (args.attrs as unknown as FusedResidualAttrs).eps, key('w1'), key('w2'), xv!, w1!, b1!, g1!, be1!, w2!, b2!, g2!, be2!, y, workspace);
  return [backend.makeTensorInfo(x.shape, 'float32', y), backend.makeTensorInfo([workspace.length], 'float32', workspace)];
}

export function fusedResidualGrad({ addon, output, filterKey }: NativeContext, args: KernelArgs, backend: CpuBackendLike): tf.TensorInfo[] {
  const { x, shape, c } = blockShape(args);
  const [dy, xv, w1, g1, be1, w2, g2, workspace] = ['dy', 'x', 'w1', 'g1', 'be1', 'w2', 'g2', 'workspace'].map((name) => input(backend, args, name));
  const key = (name: string) => filterKey((args.inputs[name] as tf.TensorInfo).dataId);
  const shapes: number[][] = [x.shape, (args.inputs.w1 as tf.TensorInfo).shape, [2 * c], [2 * c], [2 * c], (args.inputs.w2 as tf.TensorInfo).shape, [c], [c], [c]];
  const grads = shapes.map((s) => output(s.reduce((a, b) => a * b, 1)));
  const [dx, dw1, db1, dg1, dbe1, dw2, db2, dg2, dbe2] = grads;
  addon.residualBlockGrad(shape, key('w1'), key('w2'), dy!, xv!, w1!, g1!, be1!, w2!, g2!, workspace!, dx!, dw1!, db1!, dg1!, dbe1!, dw2!, db2!, dg2!, dbe2!);
  return grads.map((values, i) => backend.makeTensorInfo(shapes[i]!, 'float32', values));
}
