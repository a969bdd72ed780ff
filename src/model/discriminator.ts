import * as tf from '@tensorflow/tfjs';
import { Conv, ConvNormGlu, forwardModules, modulesFlops, traceModules } from './modules.js';
import { createNetwork, moduleLayers, type LayerSpec, type Module, type Network, type Padding2d } from './params.js';
import { scaledWidth, type ModelConfig } from './presets.js';

/**
 * CycleGAN-VC2's PatchGAN discriminator (MaskCycleGAN-VC widths x scale), layer for
 * layer as ../shared/bench/torch_ref/cyclegan_vc2.py, in NHWC:
 *
 *   x [B, M, T]  ->  [B, M, T, 1]
 *   conv_in 1 -> 2*d128, k3, GLU                              [B, M,   T,   d128]
 *   down1..3: conv k3 s2 -> 2*d256 / 2*d512 / 2*d1024, IN, GLU  [B, M/8, T/8, d1024]
 *   mid: conv k(1,5) -> 2*d1024, IN, GLU
 *   conv_out d1024 -> 1, k(1,3)                               [B, M/8, T/8]
 *
 * (sizes rounded up: each stride-2 conv maps n to ceil(n/2)). One real/fake score per patch.
 * Each block is a Module (modules.ts); discriminatorModules() lists them once.
 */

const PAD_3x3: Padding2d = [[1, 1], [1, 1]];

/** The discriminator's blocks, in forward order: the one statement of its layers. */
export function discriminatorModules(config: ModelConfig): Module[] {
  const [d1, d2, d3, d4] = [128, 256, 512, 1024].map((c) => scaledWidth(c, config.scale)) as [number, number, number, number];
  return [
    new Conv('conv_in', { kernel: [3, 3], inChannels: 1, outChannels: 2 * d1, pad: PAD_3x3 }, { glu: true }),
    new ConvNormGlu('down1', { kernel: [3, 3], inChannels: d1, outChannels: 2 * d2, pad: PAD_3x3, stride: [2, 2] }),
    new ConvNormGlu('down2', { kernel: [3, 3], inChannels: d2, outChannels: 2 * d3, pad: PAD_3x3, stride: [2, 2] }),
    new ConvNormGlu('down3', { kernel: [3, 3], inChannels: d3, outChannels: 2 * d4, pad: PAD_3x3, stride: [2, 2] }),
    new ConvNormGlu('mid', { kernel: [1, 5], inChannels: d4, outChannels: 2 * d4, pad: [[0, 0], [2, 2]] }),
    new Conv('conv_out', { kernel: [1, 3], inChannels: d4, outChannels: 1, pad: [[0, 0], [1, 1]] }, { glu: false }),
  ];
}

/** The discriminator's layers, in parameter order (from its modules). */
export function discriminatorLayers(config: ModelConfig): LayerSpec[] {
  return moduleLayers(discriminatorModules(config));
}

export function createDiscriminator(config: ModelConfig, name: string, seed: number): Network {
  return createNetwork(name, 'discriminator', discriminatorModules(config), seed);
}

/** Patch scores [B, ceil(M/8), ceil(T/8)] for log-mel crops [B, M, T]. */
export function discriminatorForward(net: Network, x: tf.Tensor3D): tf.Tensor3D {
  const [batch, mels, frames] = x.shape;
  return tf.tidy(() => {
    const h = forwardModules(net, tf.reshape(x, [batch, mels, frames, 1]) as tf.Tensor4D);
    const [, rows, cols] = h.shape;
    return tf.reshape(h, [batch, rows, cols]) as tf.Tensor3D;
  });
}

/** Output shape [B, rows, cols] for a [B, nMels, frames] input, without running the network. */
export function discriminatorOutputShape(config: ModelConfig, batch: number, frames: number): [number, number, number] {
  const { output } = traceModules(discriminatorModules(config), { height: config.nMels, width: frames, channels: 1 });
  return [batch, output.height, output.width];
}

/** Conv FLOPs of one discriminator forward pass on a [1, nMels, frames] crop: the sum of its modules' flops(). */
export function discriminatorConvFlops(config: ModelConfig, frames: number): number {
  return modulesFlops(discriminatorModules(config), { height: config.nMels, width: frames, channels: 1 });
}
