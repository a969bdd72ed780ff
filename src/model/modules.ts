import * as tf from '@tensorflow/tfjs';
import { conv2d, convFlops, convOutputSize, glu, instanceNorm, instanceNormGlu, pixelShuffle, residualBlock } from './layers.js';
import { param, paramSpecs, type Conv2dSpec, type ConvCall, type InstanceNormSpec, type LayerSpec, type Module, type Network, type Padding2d, type ParamSpec, type Shape } from './params.js';

/**
 * The blocks the CycleGAN-VC2 networks are made of, each defined once (like a torch
 * Module): the layers it owns (hence its parameters' names, shapes and init, see
 * params.ts), its forward pass on NHWC tensors, and the convs it runs on a given input
 * shape (hence its FLOPs and output shape). A network is a list of them
 * (generator.ts, discriminator.ts).
 *
 * Layer names are the saved weights' names: a block named 'down1' owns 'down1/conv' and
 * 'down1/norm', so 'down1/conv/kernel' etc.
 */

/** A conv layer's shape: kernel [height, width] = [mel axis, time axis], torch-style padding. */
export interface ConvOptions {
  kernel: [number, number];
  inChannels: number;
  outChannels: number;
  pad: Padding2d;
  stride?: [number, number];
}

function convSpec(name: string, o: ConvOptions): Conv2dSpec {
  return { kind: 'conv2d', name, kernel: o.kernel, inChannels: o.inChannels, outChannels: o.outChannels, stride: o.stride ?? [1, 1], pad: o.pad };
}

function normSpec(name: string, channels: number): InstanceNormSpec {
  return { kind: 'instanceNorm', name, channels };
}

function convParams(net: Network, spec: Conv2dSpec): [tf.Tensor4D, tf.Tensor1D] {
  return [param(net, `${spec.name}/kernel`) as tf.Tensor as tf.Tensor4D, param(net, `${spec.name}/bias`) as tf.Tensor as tf.Tensor1D];
}

function runConv(net: Network, spec: Conv2dSpec, x: tf.Tensor4D): tf.Tensor4D {
  return conv2d(x, ...convParams(net, spec), spec.stride, spec.pad);
}

function normParams(net: Network, spec: InstanceNormSpec): [tf.Tensor1D, tf.Tensor1D] {
  return [param(net, `${spec.name}/gamma`) as tf.Tensor as tf.Tensor1D, param(net, `${spec.name}/beta`) as tf.Tensor as tf.Tensor1D];
}

function runNorm(net: Network, spec: InstanceNormSpec, x: tf.Tensor4D): tf.Tensor4D {
  return instanceNorm(x, ...normParams(net, spec));
}

/** The norm, then a GLU (one fused kernel where the backend has it). */
function runNormGlu(net: Network, spec: InstanceNormSpec, x: tf.Tensor4D): tf.Tensor4D {
  return instanceNormGlu(x, ...normParams(net, spec));
}

/** The conv's call on `input` and its output shape. */
function convCall(spec: Conv2dSpec, input: Shape): { call: ConvCall; output: Shape } {
  if (input.channels !== spec.inChannels) throw new Error(`layer ${spec.name} takes ${spec.inChannels} channels, got ${input.channels}`);
  const height = convOutputSize(input.height, spec.kernel[0], spec.stride[0], spec.pad[0][0], spec.pad[0][1]);
  const width = convOutputSize(input.width, spec.kernel[1], spec.stride[1], spec.pad[1][0], spec.pad[1][1]);
  return { call: { spec, input }, output: { height, width, channels: spec.outChannels } };
}

const halveChannels = (s: Shape): Shape => ({ ...s, channels: s.channels / 2 }); // GLU

/** What every block shares: parameters from its layers, FLOPs from its convs. */
abstract class Block implements Module {
  constructor(
    readonly name: string,
    readonly layers: readonly LayerSpec[],
  ) {}

  params(): ParamSpec[] {
    return paramSpecs(this.layers);
  }

  flops(input: Shape): number {
    return this.trace(input).convs.reduce((n, c) => n + convFlops(c.spec, c.input.height, c.input.width).flops, 0);
  }

  abstract forward(net: Network, x: tf.Tensor4D): tf.Tensor4D;
  abstract trace(input: Shape): { convs: ConvCall[]; output: Shape };
}

/** One conv layer named `name`, optionally followed by a GLU (the networks' first and last layers). */
export class Conv extends Block {
  readonly conv: Conv2dSpec;
  readonly glu: boolean;

  constructor(name: string, options: ConvOptions, gated: { glu: boolean }) {
    const conv = convSpec(name, options);
    super(name, [conv]);
    this.conv = conv;
    this.glu = gated.glu;
  }

  forward(net: Network, x: tf.Tensor4D): tf.Tensor4D {
    const y = runConv(net, this.conv, x);
    return this.glu ? glu(y) : y;
  }

  trace(input: Shape): { convs: ConvCall[]; output: Shape } {
    const { call, output } = convCall(this.conv, input);
    return { convs: [call], output: this.glu ? halveChannels(output) : output };
  }
}

/** `${name}/conv`, `${name}/norm` (instance norm over the conv's outputs), GLU: the down-sampling blocks. */
export class ConvNormGlu extends Block {
  readonly conv: Conv2dSpec;
  readonly norm: InstanceNormSpec;

  constructor(name: string, options: ConvOptions) {
    const conv = convSpec(`${name}/conv`, options);
    const norm = normSpec(`${name}/norm`, options.outChannels);
    super(name, [conv, norm]);
    this.conv = conv;
    this.norm = norm;
  }

  forward(net: Network, x: tf.Tensor4D): tf.Tensor4D {
    return runNormGlu(net, this.norm, runConv(net, this.conv, x));
  }

  trace(input: Shape): { convs: ConvCall[]; output: Shape } {
    const { call, output } = convCall(this.conv, input);
    return { convs: [call], output: halveChannels(output) };
  }
}

/**
 * `${name}/conv`, PixelShuffle(factor) (factor^2 channels become a factor x factor
 * patch), `${name}/norm`, GLU: the up-sampling blocks.
 */
export class Upsample extends Block {
  readonly conv: Conv2dSpec;
  readonly norm: InstanceNormSpec;
  readonly factor: number;

  constructor(name: string, options: ConvOptions, factor = 2) {
    const conv = convSpec(`${name}/conv`, options);
    const norm = normSpec(`${name}/norm`, options.outChannels / (factor * factor));
    super(name, [conv, norm]);
    this.conv = conv;
    this.norm = norm;
    this.factor = factor;
  }

  forward(net: Network, x: tf.Tensor4D): tf.Tensor4D {
    return runNormGlu(net, this.norm, pixelShuffle(runConv(net, this.conv, x), this.factor));
  }

  trace(input: Shape): { convs: ConvCall[]; output: Shape } {
    const { call, output } = convCall(this.conv, input);
    const r = this.factor;
    return { convs: [call], output: halveChannels({ height: output.height * r, width: output.width * r, channels: output.channels / (r * r) }) };
  }
}

/**
 * x + IN(conv2(GLU(IN(conv1(x))))): conv1 maps `channels` to 2 x `channels` and conv2
 * back, both with `kernel` and `pad` (the 1-D residual blocks: k(1,3) along time).
 */
export class Residual extends Block {
  readonly conv1: Conv2dSpec;
  readonly norm1: InstanceNormSpec;
  readonly conv2: Conv2dSpec;
  readonly norm2: InstanceNormSpec;

  constructor(name: string, channels: number, kernel: [number, number], pad: Padding2d) {
    const conv1 = convSpec(`${name}/conv1`, { kernel, inChannels: channels, outChannels: 2 * channels, pad });
    const norm1 = normSpec(`${name}/norm1`, 2 * channels);
    const conv2 = convSpec(`${name}/conv2`, { kernel, inChannels: channels, outChannels: channels, pad });
    const norm2 = normSpec(`${name}/norm2`, channels);
    super(name, [conv1, norm1, conv2, norm2]);
    this.conv1 = conv1;
    this.norm1 = norm1;
    this.conv2 = conv2;
    this.norm2 = norm2;
  }

  forward(net: Network, x: tf.Tensor4D): tf.Tensor4D {
    const [w1, b1] = convParams(net, this.conv1);
    const [w2, b2] = convParams(net, this.conv2);
    const [g1, be1] = normParams(net, this.norm1);
    const [g2, be2] = normParams(net, this.norm2);
    return residualBlock(x, { w1, b1, g1, be1, w2, b2, g2, be2 }, this.conv1.pad);
  }

  trace(input: Shape): { convs: ConvCall[]; output: Shape } {
    const first = convCall(this.conv1, input);
    const second = convCall(this.conv2, halveChannels(first.output));
    return { convs: [first.call, second.call], output: second.output };
  }
}

/**
 * 2-D to 1-D: `${name}/conv` with a (rows x 1) kernel, no padding, over a [rows, W,
 * channels] image, then `${name}/norm`: [B, rows, W, C] -> [B, 1, W, C]. This is torch's
 * reshape of [C, rows] into C*rows conv1d channels followed by a 1x1 conv1d (kernel[h, 0,
 * c, o] plays torch's weight[o, c*rows + h]), without the transpose.
 */
export class FoldRows extends Block {
  readonly conv: Conv2dSpec;
  readonly norm: InstanceNormSpec;
  readonly rows: number;

  constructor(name: string, rows: number, channels: number) {
    const conv = convSpec(`${name}/conv`, { kernel: [rows, 1], inChannels: channels, outChannels: channels, pad: [[0, 0], [0, 0]] });
    const norm = normSpec(`${name}/norm`, channels);
    super(name, [conv, norm]);
    this.conv = conv;
    this.norm = norm;
    this.rows = rows;
  }

  forward(net: Network, x: tf.Tensor4D): tf.Tensor4D {
    return runNorm(net, this.norm, runConv(net, this.conv, x));
  }

  trace(input: Shape): { convs: ConvCall[]; output: Shape } {
    const { call, output } = convCall(this.conv, input);
    return { convs: [call], output };
  }
}

/**
 * 1-D to 2-D: `${name}/conv` 1x1 from `channels` to channels*rows, `${name}/norm`, then the
 * channels unfolded into rows, channel c*rows + h going to row h, channel c (torch's
 * order): [B, 1, W, C] -> [B, rows, W, C].
 */
export class UnfoldRows extends Block {
  readonly conv: Conv2dSpec;
  readonly norm: InstanceNormSpec;
  readonly rows: number;

  constructor(name: string, rows: number, channels: number) {
    const conv = convSpec(`${name}/conv`, { kernel: [1, 1], inChannels: channels, outChannels: channels * rows, pad: [[0, 0], [0, 0]] });
    const norm = normSpec(`${name}/norm`, channels * rows);
    super(name, [conv, norm]);
    this.conv = conv;
    this.norm = norm;
    this.rows = rows;
  }

  forward(net: Network, x: tf.Tensor4D): tf.Tensor4D {
    const h = runNorm(net, this.norm, runConv(net, this.conv, x));
    const [batch, , width, channels] = h.shape;
    const split = tf.reshape(h, [batch, width, channels / this.rows, this.rows]);
    return tf.transpose(split, [0, 3, 1, 2]) as tf.Tensor4D;
  }

  trace(input: Shape): { convs: ConvCall[]; output: Shape } {
    const { call, output } = convCall(this.conv, input);
    return { convs: [call], output: { height: this.rows, width: output.width, channels: output.channels / this.rows } };
  }
}

/** The modules applied in order (call inside tf.tidy). */
export function forwardModules(net: Network, x: tf.Tensor4D): tf.Tensor4D {
  let h = x;
  for (const m of net.modules) h = m.forward(net, h);
  return h;
}

/** Every conv a module list runs on a one-sample input of shape `input`, in order, and the output shape. */
export function traceModules(modules: readonly Module[], input: Shape): { convs: ConvCall[]; output: Shape } {
  const convs: ConvCall[] = [];
  let shape = input;
  for (const m of modules) {
    const t = m.trace(shape);
    convs.push(...t.convs);
    shape = t.output;
  }
  return { convs, output: shape };
}

/** Forward conv FLOPs of a module list on a one-sample input: the sum of its modules'. */
export function modulesFlops(modules: readonly Module[], input: Shape): number {
  let total = 0;
  let shape = input;
  for (const m of modules) {
    total += m.flops(shape);
    shape = m.trace(shape).output;
  }
  return total;
}
