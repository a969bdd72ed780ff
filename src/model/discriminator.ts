import * as tf from '@tensorflow/tfjs';
import { convFlops, convLayer, glu, normLayer } from './layers.js';
import { createNetwork, type Conv2dSpec, type LayerSpec, type Network, type Padding2d } from './params.js';
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
 */

const PAD_3x3: Padding2d = [[1, 1], [1, 1]];

function conv(name: string, kernel: [number, number], inChannels: number, outChannels: number, pad: Padding2d, stride: [number, number] = [1, 1]): Conv2dSpec {
  return { kind: 'conv2d', name, kernel, inChannels, outChannels, stride, pad };
}

function norm(name: string, channels: number): LayerSpec {
  return { kind: 'instanceNorm', name, channels };
}

/** The discriminator's layers, in forward order. */
export function discriminatorLayers(config: ModelConfig): LayerSpec[] {
  const [d1, d2, d3, d4] = [128, 256, 512, 1024].map((c) => scaledWidth(c, config.scale)) as [number, number, number, number];
  return [
    conv('conv_in', [3, 3], 1, 2 * d1, PAD_3x3),
    conv('down1/conv', [3, 3], d1, 2 * d2, PAD_3x3, [2, 2]),
    norm('down1/norm', 2 * d2),
    conv('down2/conv', [3, 3], d2, 2 * d3, PAD_3x3, [2, 2]),
    norm('down2/norm', 2 * d3),
    conv('down3/conv', [3, 3], d3, 2 * d4, PAD_3x3, [2, 2]),
    norm('down3/norm', 2 * d4),
    conv('mid/conv', [1, 5], d4, 2 * d4, [[0, 0], [2, 2]]),
    norm('mid/norm', 2 * d4),
    conv('conv_out', [1, 3], d4, 1, [[0, 0], [1, 1]]),
  ];
}

export function createDiscriminator(config: ModelConfig, name: string, seed: number): Network {
  return createNetwork(name, 'discriminator', discriminatorLayers(config), seed);
}

const BLOCKS = ['down1', 'down2', 'down3', 'mid'] as const;

/** Patch scores [B, ceil(M/8), ceil(T/8)] for log-mel crops [B, M, T]. */
export function discriminatorForward(net: Network, x: tf.Tensor3D): tf.Tensor3D {
  const [batch, mels, frames] = x.shape;
  return tf.tidy(() => {
    let h = tf.reshape(x, [batch, mels, frames, 1]) as tf.Tensor4D;
    h = glu(convLayer(net, 'conv_in', h));
    for (const block of BLOCKS) h = glu(normLayer(net, `${block}/norm`, convLayer(net, `${block}/conv`, h)));
    const [, rows, cols] = h.shape;
    return tf.reshape(convLayer(net, 'conv_out', h), [batch, rows, cols]) as tf.Tensor3D;
  });
}

/** Output shape [B, rows, cols] for a [B, nMels, frames] input, without running the network. */
export function discriminatorOutputShape(config: ModelConfig, batch: number, frames: number): [number, number, number] {
  const { outHeight, outWidth } = walkConvs(config, frames);
  return [batch, outHeight, outWidth];
}

/** Conv FLOPs of one discriminator forward pass on a [1, nMels, frames] crop. */
export function discriminatorConvFlops(config: ModelConfig, frames: number): number {
  return walkConvs(config, frames).flops;
}

function walkConvs(config: ModelConfig, frames: number): { flops: number; outHeight: number; outWidth: number } {
  let flops = 0;
  let outHeight = config.nMels;
  let outWidth = frames;
  for (const l of discriminatorLayers(config)) {
    if (l.kind !== 'conv2d') continue;
    const r = convFlops(l, outHeight, outWidth);
    flops += r.flops;
    outHeight = r.outHeight;
    outWidth = r.outWidth;
  }
  return { flops, outHeight, outWidth };
}
