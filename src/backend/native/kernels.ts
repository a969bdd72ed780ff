import { batchMatMul, conv2D, conv2DBackpropFilter, conv2DBackpropInput, conv2DBias } from './linalg-kernels.js';
import { binaryKernel, concat, constantLike, fill, reduceKernel, splitV, step, tile, transpose, unaryKernel } from './elementwise-kernels.js';
import { FUSED_ADAM } from '../fused-adam.js';
import { FUSED_CONV_BIAS } from '../fused-conv-bias.js';
import { FUSED_GLU, FUSED_GLU_GRAD } from '../fused-glu.js';
import { FUSED_INSTANCE_NORM, FUSED_INSTANCE_NORM_GLU, FUSED_INSTANCE_NORM_GLU_GRAD, FUSED_INSTANCE_NORM_GRAD } from '../fused-instance-norm.js';
import { fusedAdam } from './adam-kernel.js';
import { fusedGlu, fusedGluGrad } from './glu-kernel.js';
import type { FusedBody, NativeBody } from './kernel-util.js';
import { fusedInstanceNorm, fusedInstanceNormGlu, fusedInstanceNormGluGrad, fusedInstanceNormGrad } from './norm-kernel.js';
import { FUSED_RESIDUAL, FUSED_RESIDUAL_GRAD } from '../fused-residual.js';
import { fusedResidual, fusedResidualGrad } from './residual-kernel.js';

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
  Step: step,
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

/**
 * Kernels the cpu backend does not have: Adam, conv2d, instanceNorm, instanceNormGlu, glu
 * and the residual block run them where the backend provides them (src/backend/fused-*.ts),
 * and their op-by-op path elsewhere.
 */
export const FUSED_NATIVE_KERNELS: Readonly<Record<string, FusedBody>> = Object.freeze({
  [FUSED_ADAM]: fusedAdam,
  [FUSED_CONV_BIAS]: conv2DBias,
  [FUSED_INSTANCE_NORM]: fusedInstanceNorm,
  [FUSED_INSTANCE_NORM_GRAD]: fusedInstanceNormGrad,
  [FUSED_INSTANCE_NORM_GLU]: fusedInstanceNormGlu,
  [FUSED_INSTANCE_NORM_GLU_GRAD]: fusedInstanceNormGluGrad,
  [FUSED_GLU]: fusedGlu,
  [FUSED_GLU_GRAD]: fusedGluGrad,
  [FUSED_RESIDUAL]: fusedResidual,
  [FUSED_RESIDUAL_GRAD]: fusedResidualGrad,
});
