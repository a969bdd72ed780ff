import * as tf from '@tensorflow/tfjs';
import { Conv, ConvNormGlu, FoldRows, forwardModules, modulesFlops, Residual, UnfoldRows, Upsample } from './modules.js';
import { createNetwork, moduleLayers, type LayerSpec, type Module, type Network, type Padding2d } from './params.js';
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
 *
 * Each block is a Module (modules.ts) that owns its parameters, forward pass and FLOPs;
 * generatorModules() lists them once.
 */

const SAME_5x15: Padding2d = [[2, 2], [7, 7]];
const SAME_5x5: Padding2d = [[2, 2], [2, 2]];
const SAME_1x3: Padding2d = [[0, 0], [1, 1]];

/** The generator's blocks, in forward order: the one statement of its layers. */
export function generatorModules(config: ModelConfig): Module[] {
  const c64 = scaledWidth(64, config.scale);
  const c128 = scaledWidth(128, config.scale);
  const c256 = scaledWidth(256, config.scale);
  const rows = config.nMels / 4; // mel rows left after two stride-2 downsamplings
  const residuals = Array.from({ length: config.nResBlocks }, (_, i) => new Residual(`res${i + 1}`, c256, [1, 3], SAME_1x3));
  return [
    new Conv('conv_in', { kernel: [5, 15], inChannels: 1, outChannels: 2 * c128, pad: SAME_5x15 }, { glu: true }),
    new ConvNormGlu('down1', { kernel: [5, 5], inChannels: c128, outChannels: 2 * c256, pad: SAME_5x5, stride: [2, 2] }),
    new ConvNormGlu('down2', { kernel: [5, 5], inChannels: c256, outChannels: 2 * c256, pad: SAME_5x5, stride: [2, 2] }),
    new FoldRows('to1d', rows, c256),
    ...residuals,
    new UnfoldRows('to2d', rows, c256),
    new Upsample('up1', { kernel: [5, 5], inChannels: c256, outChannels: 4 * 2 * c128, pad: SAME_5x5 }),
    new Upsample('up2', { kernel: [5, 5], inChannels: c128, outChannels: 4 * 2 * c64, pad: SAME_5x5 }),
    new Conv('conv_out', { kernel: [5, 15], inChannels: c64, outChannels: 1, pad: SAME_5x15 }, { glu: false }),
  ];
}

/** The generator's layers, in parameter order (from its modules). */
export function generatorLayers(config: ModelConfig): LayerSpec[] {
  return moduleLayers(generatorModules(config));
}

export function createGenerator(config: ModelConfig, name: string, seed: number): Network {
  return createNetwork(name, 'generator', generatorModules(config), seed);
}

/**
 * Map log-mel crops [B, nMels, T] (T divisible by 4) to converted crops of the same shape.
 * `inputSkip` (the model config's) says what the network's output is added to; the
 * 'transport' skip needs this generator's map [nMels, nMels] (model/transport.ts).
 */
export function generatorForward(net: Network, x: tf.Tensor3D, inputSkip: InputSkip = 'none', transport?: Float32Array): tf.Tensor3D {
  const [batch, mels, frames] = x.shape;
  const rows = mels / 4;
  if (mels % 4 !== 0 || frames % 4 !== 0) {
    throw new Error(`generator input must have mel bins and frames divisible by 4, got [${x.shape.join(', ')}]`);
  }
  const fold = net.modules.find((m): m is FoldRows => m instanceof FoldRows);
  if (fold === undefined) throw new Error(`network ${net.name} is not a generator`);
  if (rows !== fold.rows) throw new Error(`generator ${net.name} was built for ${4 * fold.rows} mel bins, got ${mels}`);
  return tf.tidy(() => {
    const h = tf.reshape(x, [batch, mels, frames, 1]) as tf.Tensor4D;
    const out = tf.reshape(forwardModules(net, h), [batch, mels, frames]) as tf.Tensor3D;
    if (inputSkip === 'input') return tf.add(x, out);
    if (inputSkip === 'envelope') return tf.add(melEnvelope(x), out);
    if (inputSkip === 'transport') {
      if (transport?.length !== mels * mels) throw new Error(`generator ${net.name}: the transport skip needs a ${mels} x ${mels} map`);
      return tf.add(mapBins(x, transport), out);
    }
    return out;
  });
}

/** x [B, M, T] smoothed across mel bins by a Hann window renormalised at the edges. */
export function melEnvelope(x: tf.Tensor3D): tf.Tensor3D {
  return mapBins(x, envelopeMatrix(x.shape[1]));
}

/** Every frame of x [B, M, T] multiplied by the matrix m [M, M] (row-major; output bin j = Σ_i x_i m[i][j]). */
function mapBins(x: tf.Tensor3D, m: Float32Array): tf.Tensor3D {
  const [batch, mels, frames] = x.shape;
  return tf.tidy(() => {
    const rows = tf.reshape(tf.transpose(x, [0, 2, 1]), [batch * frames, mels]);
    const mapped = tf.matMul(rows, tf.tensor2d(m, [mels, mels]));
    return tf.transpose(tf.reshape(mapped, [batch, frames, mels]), [0, 2, 1]) as tf.Tensor3D;
  });
}

/**
 * Conv FLOPs of one generator forward pass on a [1, nMels, frames] crop (2 x
 * multiply-adds, bias, norms, GLU and shuffles not counted), as the reference counts them:
 * the sum of its modules' flops().
 */
export function generatorConvFlops(config: ModelConfig, frames: number): number {
  return modulesFlops(generatorModules(config), { height: config.nMels, width: frames, channels: 1 });
}
