import * as tf from '@tensorflow/tfjs';

/**
 * Layer specifications, the parameters they own, and the Module interface the networks are
 * built from. A network is described once, as a list of Modules (modules.ts): each one owns
 * its parameterised layers (LayerSpecs), runs its forward pass and counts its FLOPs, so
 * parameter names, shapes, counts and initialisation all derive from that one list and can
 * be computed for any preset without allocating a tensor.
 */

/** [[top, bottom], [left, right]] zero padding, like torch's explicit conv padding. */
export type Padding2d = [[number, number], [number, number]];

export interface Conv2dSpec {
  kind: 'conv2d';
  name: string;
  /** [height, width] = [mel axis, time axis]. */
  kernel: [number, number];
  inChannels: number;
  outChannels: number;
  stride: [number, number];
  pad: Padding2d;
}

export interface InstanceNormSpec {
  kind: 'instanceNorm';
  name: string;
  channels: number;
}

export type LayerSpec = Conv2dSpec | InstanceNormSpec;

export type ParamInit =
  | { kind: 'uniform'; bound: number } // U(-bound, bound)
  | { kind: 'ones' }
  | { kind: 'zeros' };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: ParamInit;
}

/**
 * The parameters of one layer. Conv kernels use tfjs's layout [kh, kw, in, out]; conv
 * weight and bias are U(-1/sqrt(fan_in), 1/sqrt(fan_in)), torch's default for Conv
 * layers; InstanceNorm gamma = 1, beta = 0 (torch's affine default).
 */
export function layerParamSpecs(layer: LayerSpec): ParamSpec[] {
  if (layer.kind === 'conv2d') {
    const [kh, kw] = layer.kernel;
    const bound = 1 / Math.sqrt(layer.inChannels * kh * kw);
    return [
      { name: `${layer.name}/kernel`, shape: [kh, kw, layer.inChannels, layer.outChannels], init: { kind: 'uniform', bound } },
      { name: `${layer.name}/bias`, shape: [layer.outChannels], init: { kind: 'uniform', bound } },
    ];
  }
  return [
    { name: `${layer.name}/gamma`, shape: [layer.channels], init: { kind: 'ones' } },
    { name: `${layer.name}/beta`, shape: [layer.channels], init: { kind: 'zeros' } },
  ];
}

/** One sample's NHWC activation shape: [height (mel axis), width (time axis), channels]. */
export interface Shape {
  height: number;
  width: number;
  channels: number;
}

/** One convolution a module runs, with the shape of that conv's input. */
export interface ConvCall {
  spec: Conv2dSpec;
  input: Shape;
}

/**
 * One block of a network (like a torch Module): it owns its layers (whose parameters are
 * its parameters), runs its forward pass on NHWC tensors taking the values from a
 * network, and states the convolutions it runs on a given input shape (its FLOP count and
 * output shape derive from those). The classes are in modules.ts.
 */
export interface Module {
  readonly name: string;
  /** The parameterised layers, in parameter order. */
  readonly layers: readonly LayerSpec[];
  /** The parameters of `layers` (names relative to the network, e.g. 'down1/conv/kernel'). */
  params(): ParamSpec[];
  forward(net: Network, x: tf.Tensor4D): tf.Tensor4D;
  /** The convs run on a one-sample input of shape `input`, and the output's shape. */
  trace(input: Shape): { convs: ConvCall[]; output: Shape };
  /** Forward conv FLOPs on a one-sample input of shape `input` (2 x multiply-adds; bias, norms, GLU not counted). */
  flops(input: Shape): number;
}

/** The layers of a module list, in order. */
export function moduleLayers(modules: readonly Module[]): LayerSpec[] {
  return modules.flatMap((m) => m.layers);
}

export function paramSpecs(layers: readonly LayerSpec[]): ParamSpec[] {
  return layers.flatMap(layerParamSpecs);
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Number of scalar parameters of a layer list (no tensors are allocated). */
export function countParams(layers: readonly LayerSpec[]): number {
  return paramSpecs(layers).reduce((n, p) => n + shapeSize(p.shape), 0);
}

/**
 * One network's variables, keyed by parameter name (e.g. 'down1/conv/kernel'), with the
 * module list that gave them their shapes. `name` (e.g. 'G_AB') prefixes the parameter
 * names in saved files and optimiser state.
 *
 * The tf.Variables get tfjs's automatic unique names: tfjs registers variable names
 * globally, so stable names of our own live here instead and two trainers can coexist.
 */
export interface Network {
  readonly name: string;
  /** What the module list describes ('generator', 'discriminator'): tells a loader which spec to check against. */
  readonly kind: string;
  /** The network's blocks in forward order: the one statement of its layers. */
  readonly modules: readonly Module[];
  /** The modules' layers by name. */
  readonly layers: ReadonlyMap<string, LayerSpec>;
  readonly vars: ReadonlyMap<string, tf.Variable>;
}

/**
 * Create a network's variables, initialised deterministically: each parameter draws from
 * its own stream seeded by (seed, network name, parameter name), so the values do not
 * depend on creation order or backend.
 */
export function createNetwork(name: string, kind: string, modules: readonly Module[], seed: number): Network {
  const vars = new Map<string, tf.Variable>();
  for (const spec of modules.flatMap((m) => m.params())) {
    const init = tf.tidy(() => initialValue(spec, `${seed}:${name}/${spec.name}`));
    vars.set(spec.name, tf.variable(init, true));
    init.dispose();
  }
  return { name, kind, modules, layers: layerMap(moduleLayers(modules)), vars };
}

function initialValue(spec: ParamSpec, seed: string): tf.Tensor {
  switch (spec.init.kind) {
    case 'uniform':
      return tf.randomUniform(spec.shape, -spec.init.bound, spec.init.bound, 'float32', seed);
    case 'ones':
      return tf.ones(spec.shape, 'float32');
    case 'zeros':
      return tf.zeros(spec.shape, 'float32');
  }
}

/**
 * Build a network from given values (e.g. loaded from disk). `values` must hold exactly
 * the parameters the module list needs, with the right shapes; the caller turns a thrown
 * message into a FileError.
 */
export function networkFromValues(
  name: string,
  kind: string,
  modules: readonly Module[],
  values: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
): Network {
  const specs = modules.flatMap((m) => m.params());
  for (const spec of specs) {
    const v = values.get(spec.name);
    if (v === undefined) throw new Error(`missing weight '${name}/${spec.name}'`);
    if (!sameShape(v.shape, spec.shape)) {
      throw new Error(`weight '${name}/${spec.name}' has shape [${v.shape.join(', ')}], the model config needs [${spec.shape.join(', ')}]`);
    }
  }
  const known = new Set(specs.map((s) => s.name));
  for (const key of values.keys()) {
    if (!known.has(key)) throw new Error(`unexpected weight '${name}/${key}' (not part of this model config)`);
  }
  const vars = new Map<string, tf.Variable>();
  for (const spec of specs) {
    const v = values.get(spec.name)!;
    const t = tf.tensor(v.data, spec.shape, 'float32');
    vars.set(spec.name, tf.variable(t, true));
    t.dispose();
  }
  return { name, kind, modules, layers: layerMap(moduleLayers(modules)), vars };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Look up a parameter; a missing one is a bug in the network code, not user input. */
export function param(net: Network, name: string): tf.Variable {
  const v = net.vars.get(name);
  if (v === undefined) throw new Error(`network ${net.name} has no parameter '${name}'`);
  return v;
}

/** The network's variables with their full names ('G_AB/down1/conv/kernel'), in layer order. */
export function namedVariables(net: Network): Array<[string, tf.Variable]> {
  return [...net.vars].map(([n, v]) => [`${net.name}/${n}`, v]);
}

/** Actual number of scalars held by the network's variables. */
export function variableCount(net: Network): number {
  let n = 0;
  for (const v of net.vars.values()) n += v.size;
  return n;
}

export function disposeNetwork(net: Network): void {
  for (const v of net.vars.values()) v.dispose();
}

function layerMap(layers: readonly LayerSpec[]): Map<string, LayerSpec> {
  const m = new Map<string, LayerSpec>();
  for (const l of layers) {
    if (m.has(l.name)) throw new Error(`duplicate layer name '${l.name}'`);
    m.set(l.name, l);
  }
  return m;
}
