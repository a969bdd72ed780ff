import * as tf from '@tensorflow/tfjs';
import { convFlops, convLayer, glu, normLayer, pixelShuffle } from './layers.js';
import { createNetwork, layer, type Conv2dSpec, type LayerSpec, type Network, type Padding2d } from './params.js';
import { envelopeMatrix } from '../audio/envelope.js';
import { scaledWidth, type InputSkip, type ModelConfig } from './presets.js';

/**
 * CycleGAN-VC2's 2-1-2D generator (MaskCycleGAN-VC widths x scale, one input channel),
 * layer for layer as ../shared/bench/torch_ref/cyclegan_vc2.py, in NHWC:
 *
 *   x [B, M, T]  ->  [B, M, T, 1]
 *   conv_in 1 -> 2*c128, k(5,15), GLU                          [B, M,   T,   c128]
 *   down1: conv k5 s2 -> 2*c256, IN, GLU                       [B, M/2, T/2, c256]
 *   down2: conv k5 s2 -> 2*c256, IN, GLU                       [B, M/4, T/4, c256]
 *   to1d: conv (M/4 x 1, valid) -> c256, IN                    [B, 1,   T/4, c256]
 *   res1..6: x + IN(conv k(1,3))(GLU(IN(conv k(1,3) -> 2*c256)))
 *   to2d: conv 1x1 -> c256*M/4, IN, reshape                    [B, M/4, T/4, c256]
 *   up1: conv k5 -> 4*2*c128, PixelShuffle(2), IN, GLU         [B, M/2, T/2, c128]
 *   up2: conv k5 -> 4*2*c64,  PixelShuffle(2), IN, GLU         [B, M,   T,   c64]
 *   conv_out c64 -> 1, k(5,15)                                 [B, M, T]
 *
 * torch flattens [C, M/4] into C*M/4 conv1d channels (index c*M/4 + h). Here to1d is the
 * equivalent conv with an (M/4 x 1) kernel over the [M/4, T/4] image (kernel[h,0,c,o]
 * plays torch's weight[o, c*M/4 + h]), which needs no transpose; to2d's output channels
 * keep torch's c*M/4 + h order when they are unfolded back into rows.
 */

const SAME_5x15: Padding2d = [[2, 2], [7, 7]];
const SAME_5x5: Padding2d = [[2, 2], [2, 2]];
const SAME_1x3: Padding2d = [[0, 0], [1, 1]];
const NONE: Padding2d = [[0, 0], [0, 0]];

function conv(name: string, kernel: [number, number], inChannels: number, outChannels: number, pad: Padding2d, stride: [number, number] = [1, 1]): Conv2dSpec {
  return { kind: 'conv2d', name, kernel, inChannels, outChannels, stride, pad };
}

function norm(name: string, channels: number): LayerSpec {
  return { kind: 'instanceNorm', name, channels };
}

/** The generator's layers, in forward order. */
export function generatorLayers(config: ModelConfig): LayerSpec[] {
  const c64 = scaledWidth(64, config.scale);
  const c128 = scaledWidth(128, config.scale);
  const c256 = scaledWidth(256, config.scale);
  const rows = config.nMels / 4; // mel rows left after two stride-2 downsamplings
  const layers: LayerSpec[] = [
    conv('conv_in', [5, 15], 1, 2 * c128, SAME_5x15),
    conv('down1/conv', [5, 5], c128, 2 * c256, SAME_5x5, [2, 2]),
    norm('down1/norm', 2 * c256),
    conv('down2/conv', [5, 5], c256, 2 * c256, SAME_5x5, [2, 2]),
    norm('down2/norm', 2 * c256),
    conv('to1d/conv', [rows, 1], c256, c256, NONE),
    norm('to1d/norm', c256),
  ];
  for (let i = 1; i <= config.nResBlocks; i++) {
    layers.push(
      conv(`res${i}/conv1`, [1, 3], c256, 2 * c256, SAME_1x3),
      norm(`res${i}/norm1`, 2 * c256),
      conv(`res${i}/conv2`, [1, 3], c256, c256, SAME_1x3),
      norm(`res${i}/norm2`, c256),
    );
  }
  layers.push(
    conv('to2d/conv', [1, 1], c256, c256 * rows, NONE),
    norm('to2d/norm', c256 * rows),
    conv('up1/conv', [5, 5], c256, 4 * 2 * c128, SAME_5x5),
    norm('up1/norm', 2 * c128),
    conv('up2/conv', [5, 5], c128, 4 * 2 * c64, SAME_5x5),
    norm('up2/norm', 2 * c64),
    conv('conv_out', [5, 15], c64, 1, SAME_5x15),
  );
  return layers;
}

export function createGenerator(config: ModelConfig, name: string, seed: number): Network {
  return createNetwork(name, 'generator', generatorLayers(config), seed);
}

/**
 * Map log-mel crops [B, nMels, T] (T divisible by 4) to converted crops of the same shape.
 * `inputSkip` (the model config's) says what the network's output is added to.
 */
export function generatorForward(net: Network, x: tf.Tensor3D, inputSkip: InputSkip = 'none'): tf.Tensor3D {
  const [batch, mels, frames] = x.shape;
  const rows = mels / 4;
  if (mels % 4 !== 0 || frames % 4 !== 0) {
    throw new Error(`generator input must have mel bins and frames divisible by 4, got [${x.shape.join(', ')}]`);
  }
  const expectedRows = layer(net, 'to1d/conv', 'conv2d').kernel[0];
  if (rows !== expectedRows) throw new Error(`generator ${net.name} was built for ${4 * expectedRows} mel bins, got ${mels}`);
  return tf.tidy(() => {
    let h = tf.reshape(x, [batch, mels, frames, 1]) as tf.Tensor4D;
    h = glu(convLayer(net, 'conv_in', h));
    h = downsample(net, 'down1', h);
    h = downsample(net, 'down2', h); //                              [B, M/4, T/4, C]
    h = normLayer(net, 'to1d/norm', convLayer(net, 'to1d/conv', h)); // [B, 1, T/4, C]
    for (let i = 1; i <= countResBlocks(net); i++) h = residual(net, `res${i}`, h);
    h = normLayer(net, 'to2d/norm', convLayer(net, 'to2d/conv', h)); // [B, 1, T/4, C*M/4]
    h = unfoldRows(h, rows); //                                       [B, M/4, T/4, C]
    h = upsample(net, 'up1', h);
    h = upsample(net, 'up2', h); //                                   [B, M, T, c64]
    const out = tf.reshape(convLayer(net, 'conv_out', h), [batch, mels, frames]) as tf.Tensor3D;
    if (inputSkip === 'input') return tf.add(x, out);
    if (inputSkip === 'envelope') return tf.add(melEnvelope(x), out);
    return out;
  });
}

/** x [B, M, T] smoothed across mel bins by a Hann window renormalised at the edges. */
export function melEnvelope(x: tf.Tensor3D): tf.Tensor3D {
  const [batch, mels, frames] = x.shape;
  return tf.tidy(() => {
    const rows = tf.reshape(tf.transpose(x, [0, 2, 1]), [batch * frames, mels]);
    const smoothed = tf.matMul(rows, tf.tensor2d(envelopeMatrix(mels), [mels, mels]));
    return tf.transpose(tf.reshape(smoothed, [batch, frames, mels]), [0, 2, 1]) as tf.Tensor3D;
  });
}

function downsample(net: Network, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return glu(normLayer(net, `${name}/norm`, convLayer(net, `${name}/conv`, x)));
}

function upsample(net: Network, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return glu(normLayer(net, `${name}/norm`, pixelShuffle(convLayer(net, `${name}/conv`, x), 2)));
}

function residual(net: Network, name: string, x: tf.Tensor4D): tf.Tensor4D {
  let h = glu(normLayer(net, `${name}/norm1`, convLayer(net, `${name}/conv1`, x)));
  h = normLayer(net, `${name}/norm2`, convLayer(net, `${name}/conv2`, h));
  return tf.add(x, h);
}

/** [B, 1, W, C*rows] with channel c*rows + h  ->  [B, rows, W, C]. */
function unfoldRows(x: tf.Tensor4D, rows: number): tf.Tensor4D {
  const [batch, , width, channels] = x.shape;
  const split = tf.reshape(x, [batch, width, channels / rows, rows]);
  return tf.transpose(split, [0, 3, 1, 2]) as tf.Tensor4D;
}

function countResBlocks(net: Network): number {
  let n = 0;
  while (net.layers.has(`res${n + 1}/conv1`)) n++;
  return n;
}

/**
 * Conv FLOPs of one generator forward pass on a [1, nMels, frames] crop (2 x
 * multiply-adds, bias, norms, GLU and shuffles not counted), as the reference counts them.
 */
export function generatorConvFlops(config: ModelConfig, frames: number): number {
  const layers = new Map(generatorLayers(config).map((l) => [l.name, l]));
  const spec = (name: string) => layers.get(name) as Conv2dSpec;
  let total = 0;
  let height = config.nMels;
  let width = frames;
  const apply = (name: string) => {
    const r = convFlops(spec(name), height, width);
    total += r.flops;
    height = r.outHeight;
    width = r.outWidth;
  };
  apply('conv_in');
  apply('down1/conv');
  apply('down2/conv');
  const rows = height;
  apply('to1d/conv');
  for (let i = 1; i <= config.nResBlocks; i++) {
    apply(`res${i}/conv1`);
    apply(`res${i}/conv2`);
  }
  apply('to2d/conv');
  height = rows; // unfold channels back into mel rows
  apply('up1/conv');
  height *= 2; // pixel shuffle
  width *= 2;
  apply('up2/conv');
  height *= 2;
  width *= 2;
  apply('conv_out');
  return total;
}
