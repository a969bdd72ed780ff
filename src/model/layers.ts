import * as tf from '@tensorflow/tfjs';
import { FUSED_CONV_BIAS, type FusedConvBiasAttrs } from '../backend/fused-conv-bias.js';
import { FUSED_GLU, FUSED_GLU_GRAD } from '../backend/fused-glu.js';
import { FUSED_INSTANCE_NORM, FUSED_INSTANCE_NORM_GLU, FUSED_INSTANCE_NORM_GLU_GRAD, FUSED_INSTANCE_NORM_GRAD } from '../backend/fused-instance-norm.js';
import { FUSED_RESIDUAL, FUSED_RESIDUAL_GRAD, fusedResidualCovers, type FusedResidualAttrs } from '../backend/fused-residual.js';
import type { Conv2dSpec, Padding2d } from './params.js';

/**
 * The building blocks of the CycleGAN-VC2 networks on NHWC tensors
 * (H = mel axis, W = time axis, C = channels). Layers tfjs lacks (instance norm, GLU,
 * pixel shuffle) are built from ordinary differentiable ops, so every backend gets
 * their gradients for free; instance norm and GLU also run as fused kernels where the
 * backend provides them (the native backend).
 */

/** torch's InstanceNorm eps. */
export const INSTANCE_NORM_EPS = 1e-5;

/**
 * 2D convolution with torch-style explicit zero padding, plus bias: one fused kernel where
 * the backend has it (src/backend/fused-conv-bias.ts), else conv2d and add. Not
 * tf.fused.conv2d: that op's custom gradient computes the kernel gradient even when only
 * the input gradient is wanted (a frozen discriminator).
 */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D, stride: [number, number], pad: Padding2d): tf.Tensor4D {
  const tfPad = tfPadding(pad, kernel.shape, stride);
  if (tf.getKernel(FUSED_CONV_BIAS, tf.getBackend()) !== undefined) {
    const attrs: FusedConvBiasAttrs = { strides: stride, pad: tfPad };
    return tf.engine().runKernel(FUSED_CONV_BIAS, { x, filter: kernel, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.add(tf.conv2d(x, kernel, stride, tfPad), bias);
}

/** The tfjs padding argument of a conv layer (for code that calls tfjs's conv kernels directly, e.g. the benchmarks). */
export function convPadding(spec: Conv2dSpec): ReturnType<typeof tfPadding> {
  return tfPadding(spec.pad, spec.kernel, spec.stride);
}

/**
 * tfjs padding argument equal to torch's explicit padding. 'same' in tfjs pads the extra
 * row at the bottom for strided convs where torch pads symmetrically, so it is used only
 * where it is exactly equal (stride 1, symmetric, odd kernel).
 */
function tfPadding(pad: Padding2d, kernel: readonly number[], stride: [number, number]): 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]] {
  const [[top, bottom], [left, right]] = pad;
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return 'valid';
  const sameH = stride[0] === 1 && top === bottom && 2 * top === kernel[0]! - 1;
  const sameW = stride[1] === 1 && left === right && 2 * left === kernel[1]! - 1;
  if (sameH && sameW) return 'same';
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/**
 * Instance normalisation over the spatial axes of each sample and channel, with biased
 * variance and eps 1e-5 like torch, then the affine gamma/beta per channel. One fused
 * kernel (and one for its gradient) where the backend has them, else ordinary ops.
 */
export function instanceNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = INSTANCE_NORM_EPS): tf.Tensor4D {
  if (tf.getKernel(FUSED_INSTANCE_NORM, tf.getBackend()) !== undefined) return fusedNormOp(FUSED_INSTANCE_NORM, FUSED_INSTANCE_NORM_GRAD, eps, false)(x, gamma, beta) as tf.Tensor4D;
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, [1, 2], true));
    const variance = tf.mean(tf.square(centred), [1, 2], true);
    // gamma / std folded into one [B, 1, 1, C] factor: one full-size multiply, not two
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(centred, scale), beta);
  });
}

type NormOp = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

const fusedNormOps = new Map<string, NormOp>();

/**
 * A fused normalisation kernel (inputs x, gamma, beta; attr eps; outputs y, mean, rstd) as
 * an op whose gradient is its backward kernel (inputs dy, x, gamma, mean, rstd, and beta
 * where `gradNeedsBeta`; outputs dx, dgamma, dbeta). One op per kernel and eps.
 */
function fusedNormOp(kernel: string, gradKernel: string, eps: number, gradNeedsBeta: boolean): NormOp {
  const key = `${kernel}/${eps}`;
  let f = fusedNormOps.get(key);
  if (f === undefined) {
    f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const [y, mean, rstd] = tf.engine().runKernel(kernel, { x, gamma, beta }, { eps }) as tf.Tensor[];
      save(gradNeedsBeta ? [x, gamma, mean!, rstd!, beta] : [x, gamma, mean!, rstd!]);
      return {
        value: y!,
        gradFunc: (dy, saved) => {
          const [sx, sgamma, smean, srstd, sbeta] = saved;
          const inputs = { dy: dy as tf.Tensor, x: sx!, gamma: sgamma!, mean: smean!, rstd: srstd!, ...(gradNeedsBeta ? { beta: sbeta! } : {}) };
          return tf.engine().runKernel(gradKernel, inputs, {}) as tf.Tensor[];
        },
      };
    }) as NormOp;
    fusedNormOps.set(key, f);
  }
  return f;
}

/**
 * glu(instanceNorm(x, gamma, beta)): how every down-sampling, up-sampling and residual
 * block ends. One fused kernel (and one for its gradient) where the backend has them,
 * else the two layers.
 */
export function instanceNormGlu(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = INSTANCE_NORM_EPS): tf.Tensor4D {
  if (tf.getKernel(FUSED_INSTANCE_NORM_GLU, tf.getBackend()) === undefined) return glu(instanceNorm(x, gamma, beta, eps));
  checkGluChannels(x.shape[3]);
  return fusedNormOp(FUSED_INSTANCE_NORM_GLU, FUSED_INSTANCE_NORM_GLU_GRAD, eps, true)(x, gamma, beta) as tf.Tensor4D;
}

/** A residual block's parameters: conv1 (C -> 2C), norm1 (2C), conv2 (C -> C), norm2 (C). */
export interface ResidualParams {
  w1: tf.Tensor4D;
  b1: tf.Tensor1D;
  g1: tf.Tensor1D;
  be1: tf.Tensor1D;
  w2: tf.Tensor4D;
  b2: tf.Tensor1D;
  g2: tf.Tensor1D;
  be2: tf.Tensor1D;
}

/**
 * x + instanceNorm(conv2d(instanceNormGlu(conv2d(x, w1, b1)), w2, b2)), both convs with
 * `pad` (which keeps the spatial size): as one fused kernel each way where the backend
 * covers the block (src/backend/fused-residual.ts), else layer by layer. The gradient
 * covers every input at once: the block's parameters are always trained together.
 */
export function residualBlock(x: tf.Tensor4D, p: ResidualParams, pad: Padding2d, eps = INSTANCE_NORM_EPS): tf.Tensor4D {
  const kernel: [number, number] = [p.w1.shape[0], p.w1.shape[1]];
  if (!fusedResidualCovers(tf.getBackend(), x.shape, kernel, pad)) {
    const h = instanceNormGlu(conv2d(x, p.w1, p.b1, [1, 1], pad), p.g1, p.be1, eps);
    return tf.add(x, instanceNorm(conv2d(h, p.w2, p.b2, [1, 1], pad), p.g2, p.be2, eps));
  }
  const attrs: FusedResidualAttrs = { pad, eps };
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, w1, b1, g1, be1, w2, b2, g2, be2] = args.slice(0, 9) as tf.Tensor[];
    const save = args[9] as tf.GradSaveFunc;
    const [y, workspace] = tf.engine().runKernel(FUSED_RESIDUAL, { x: xs!, w1: w1!, b1: b1!, g1: g1!, be1: be1!, w2: w2!, b2: b2!, g2: g2!, be2: be2! }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save([xs!, w1!, g1!, be1!, w2!, g2!, workspace!]);
    return {
      value: y!,
      gradFunc: (dy, saved) => {
        const [sx, sw1, sg1, sbe1, sw2, sg2, sworkspace] = saved;
        const inputs = { dy: dy as tf.Tensor, x: sx!, w1: sw1!, g1: sg1!, be1: sbe1!, w2: sw2!, g2: sg2!, workspace: sworkspace! };
        return tf.engine().runKernel(FUSED_RESIDUAL_GRAD, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  return op(x, p.w1, p.b1, p.g1, p.be1, p.w2, p.b2, p.g2, p.be2) as tf.Tensor4D;
}

/** A GLU splits its input's channels in two halves: there must be an even number. */
function checkGluChannels(channels: number): void {
  if (channels % 2 !== 0) throw new Error(`glu needs an even channel count, got ${channels}`);
}

/** Gated linear unit over channels: first half * sigmoid(second half); one fused kernel where the backend has it. */
export function glu(x: tf.Tensor4D): tf.Tensor4D {
  checkGluChannels(x.shape[3]);
  if (tf.getKernel(FUSED_GLU, tf.getBackend()) !== undefined) return fusedGlu(x) as tf.Tensor4D;
  return tf.tidy(() => {
    const [a, b] = tf.split(x, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    return tf.mul(a, tf.sigmoid(b));
  });
}

const fusedGlu = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.engine().runKernel(FUSED_GLU, { x }, {}) as tf.Tensor,
    gradFunc: (dy, saved) => tf.engine().runKernel(FUSED_GLU_GRAD, { dy: dy as tf.Tensor, x: saved[0]! }, {}) as tf.Tensor,
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * torch's PixelShuffle(r) in NHWC: input channel c*r*r + i*r + j goes to output pixel
 * (h*r + i, w*r + j), channel c. Built from reshape/transpose (which have gradients;
 * tf.depthToSpace has none, and orders channels differently). The batch and height axes
 * are merged so that the transpose stays 5-D.
 */
export function pixelShuffle(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  if (channels % (r * r) !== 0) throw new Error(`pixelShuffle(${r}) needs channels divisible by ${r * r}, got ${channels}`);
  const c = channels / (r * r);
  return tf.tidy(() => {
    const split = tf.reshape(x, [batch * height, width, c, r, r]); // [bh, w, c, i, j]
    const moved = tf.transpose(split, [0, 3, 1, 4, 2]); //               [bh, i, w, j, c]
    return tf.reshape(moved, [batch, height * r, width * r, c]);
  });
}

/** Spatial output size of a conv along one axis (torch's formula). */
export function convOutputSize(input: number, kernel: number, stride: number, padBefore: number, padAfter: number): number {
  return Math.floor((input + padBefore + padAfter - kernel) / stride) + 1;
}

/** Forward FLOPs of one conv (2 x multiply-adds, bias ignored) at the given input size. */
export function convFlops(spec: Conv2dSpec, inHeight: number, inWidth: number): { flops: number; outHeight: number; outWidth: number } {
  const outHeight = convOutputSize(inHeight, spec.kernel[0], spec.stride[0], spec.pad[0][0], spec.pad[0][1]);
  const outWidth = convOutputSize(inWidth, spec.kernel[1], spec.stride[1], spec.pad[1][0], spec.pad[1][1]);
  const flops = 2 * outHeight * outWidth * spec.outChannels * spec.inChannels * spec.kernel[0] * spec.kernel[1];
  return { flops, outHeight, outWidth };
}
