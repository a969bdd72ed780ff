import { batchMatMul, conv2D, conv2DBackpropFilter, conv2DBackpropInput } from './linalg-kernels.js';
import { binaryKernel, concat, constantLike, fill, reduceKernel, splitV, tile, transpose, unaryKernel } from './elementwise-kernels.js';
import type { NativeBody } from './kernel-util.js';

/**
 * The tfjs kernels the native backend runs in the addon, by tfjs kernel name: those that
 * dominate a CycleGAN-VC2 training step (convolutions first; then, once those were
 * native, the element-wise arithmetic, reductions and data movement of instance norm,
 * GLU, the losses, the gradients and Adam, which the cpu backend runs in JavaScript).
 * Every other kernel is the cpu backend's.
 */
export const NATIVE_KERNELS: Readonly<Record<string, NativeBody>> = Object.freeze({
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  BatchMatMul: batchMatMul,
  Add: binaryKernel('Add'),
  Sub: binaryKernel('Sub'),
  Multiply: binaryKernel('Multiply'),
  RealDiv: binaryKernel('RealDiv'),
  SquaredDifference: binaryKernel('SquaredDifference'),
  Maximum: binaryKernel('Maximum'),
  Minimum: binaryKernel('Minimum'),
  Sigmoid: unaryKernel('Sigmoid'),
  Sqrt: unaryKernel('Sqrt'),
  Rsqrt: unaryKernel('Rsqrt'),
  Square: unaryKernel('Square'),
  Neg: unaryKernel('Neg'),
  Abs: unaryKernel('Abs'),
  Exp: unaryKernel('Exp'),
  Log: unaryKernel('Log'),
  Relu: unaryKernel('Relu'),
  Sum: reduceKernel(false),
  Mean: reduceKernel(true),
  Transpose: transpose,
  Concat: concat,
  SplitV: splitV,
  Tile: tile,
  ZerosLike: constantLike(0),
  OnesLike: constantLike(1),
  Fill: fill,
});
