import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileError } from '../errors.js';
import { recoverDirReplacement, replaceDirAtomic } from '../io/atomic.js';
import { float32ToFloat16 } from '../io/float16.js';
import {
  decodeWeights,
  loadModelNetworks,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  MODEL_JSON,
  MODULES_OF_KIND,
  parseModelJson,
  WEIGHTS_BIN,
  type LoadedModel,
  type ModelJson,
  type OptimiserJson,
  type TensorValues,
  type WeightDtype,
  type WeightEntry,
} from './format.js';
import { sameShape, type Network } from './params.js';
import type { ModelConfig } from './presets.js';

export {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  MODEL_JSON,
  WEIGHTS_BIN,
  parseModel,
  type LoadedModel,
  type OptimiserJson,
  type WeightDtype,
  type WeightEntry,
} from './format.js';

/** Reading and writing model directories (Node only); the format itself is in format.ts. */

export interface SaveModelOptions {
  /** Opaque JSON saved alongside (e.g. the FeatureConfig and normalisation statistics). */
  extra?: unknown;
  /** Store weights as float16: half the size, about 3 significant digits. */
  float16?: boolean;
}

/**
 * Save networks built for `config` into directory `dir`, atomically: written into a
 * temporary sibling directory, then renamed. An existing model directory is replaced; any
 * other existing non-empty directory is refused.
 */
export async function saveModel(dir: string, config: ModelConfig, networks: readonly Network[], options: SaveModelOptions = {}): Promise<void> {
  const dtype: WeightDtype = options.float16 ? 'float16' : 'float32';
  const tensors = networks.flatMap((net) => checkedNetworkTensors(net, config).map((t) => ({ ...t, dtype })));
  await writeModelDir(dir, {
    kind: 'model',
    config,
    extra: options.extra ?? null,
    networks: networks.map((n) => ({ name: n.name, kind: n.kind })),
    tensors,
  });
}

/**
 * Load a model (or the networks of a checkpoint) from `dir`, on the current backend.
 * `only` restricts which networks are built (e.g. ['G_AB'] to convert one way).
 * Throws FileError for a missing, corrupt or mismatched file.
 */
export function loadModel(dir: string, only?: readonly string[]): LoadedModel {
  const { json, values } = readModelDir(dir);
  const networks = loadModelNetworks(join(dir, MODEL_JSON), json, values, only ?? json.networks.map((n) => n.name));
  return { config: json.config, extra: json.extra, networks };
}

/** One optimiser's state to save: its scalars and its named state tensors ('m/<param>', 'v/<param>', ...). */
export interface OptimiserState extends OptimiserJson {
  tensors: ReadonlyArray<readonly [string, tf.Tensor]>;
}

/** What a training checkpoint holds: networks, the generators' and discriminators' optimiser state, and opaque JSON. */
export interface CheckpointContents {
  config: ModelConfig;
  networks: readonly Network[];
  optimizers: { g: OptimiserState; d: OptimiserState };
  extra?: unknown;
}

/** A loaded checkpoint: its networks (the caller's to dispose) and its optimiser state as values. */
export interface LoadedCheckpoint {
  /** The model.json it came from (to name in errors). */
  file: string;
  config: ModelConfig;
  extra: unknown;
  networks: Map<string, Network>;
  optimizers: { g: OptimiserJson & { values: Map<string, Float32Array> }; d: OptimiserJson & { values: Map<string, Float32Array> } };
}

/** Save everything needed to resume training exactly: networks and optimiser state, all float32. */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const tensors = contents.networks.flatMap((net) => checkedNetworkTensors(net, contents.config));
  for (const [prefix, opt] of [['opt_g', contents.optimizers.g], ['opt_d', contents.optimizers.d]] as const) {
    for (const [name, tensor] of opt.tensors) tensors.push({ name: `${prefix}/${name}`, tensor });
  }
  await writeModelDir(dir, {
    kind: 'checkpoint',
    config: contents.config,
    extra: contents.extra ?? null,
    networks: contents.networks.map((n) => ({ name: n.name, kind: n.kind })),
    optimizers: { g: optimiserJson(contents.optimizers.g), d: optimiserJson(contents.optimizers.d) },
    tensors: tensors.map((t) => ({ ...t, dtype: 'float32' as const })), // resume must be exact
  });
}

/** Read a checkpoint saved by saveCheckpoint, building its networks on the current backend. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const { json, values } = readModelDir(dir);
  const jsonPath = join(dir, MODEL_JSON);
  if (json.kind !== 'checkpoint' || json.optimizers === undefined) {
    throw new FileError(jsonPath, 'is a model for conversion, not a training checkpoint (it has no optimiser state)');
  }
  const networks = loadModelNetworks(jsonPath, json, values, json.networks.map((n) => n.name));
  const optimiser = (prefix: string, saved: OptimiserJson) => {
    const own = new Map<string, Float32Array>();
    for (const [name, v] of values) if (name.startsWith(`${prefix}/`)) own.set(name.slice(prefix.length + 1), v.data);
    return { ...optimiserJson(saved), values: own };
  };
  return { file: jsonPath, config: json.config, extra: json.extra, networks, optimizers: { g: optimiser('opt_g', json.optimizers.g), d: optimiser('opt_d', json.optimizers.d) } };
}

// ------------------------------------------------------------------ network <-> tensors

interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** The network's tensors with full names, after checking they fit `config`. */
function checkedNetworkTensors(net: Network, config: ModelConfig): NamedTensor[] {
  const modulesOf = MODULES_OF_KIND[net.kind];
  if (modulesOf === undefined) throw new Error(`cannot save network ${net.name} of unknown kind '${net.kind}'`);
  for (const spec of modulesOf(config).flatMap((m) => m.params())) {
    const v = net.vars.get(spec.name);
    if (v === undefined || !sameShape(v.shape, spec.shape)) {
      throw new Error(`network ${net.name} does not match the model config (parameter '${spec.name}')`);
    }
  }
  return [...net.vars].map(([name, tensor]) => ({ name: `${net.name}/${name}`, tensor }));
}

function optimiserJson(o: OptimiserJson): OptimiserJson {
  return { step: o.step, beta1: o.beta1, beta2: o.beta2, eps: o.eps };
}

// ------------------------------------------------------------------ the directory format

interface ModelDirContents {
  kind: ModelJson['kind'];
  config: ModelConfig;
  extra: unknown;
  networks: ModelJson['networks'];
  optimizers?: ModelJson['optimizers'];
  tensors: Array<NamedTensor & { dtype: WeightDtype }>;
}

async function writeModelDir(dir: string, contents: ModelDirContents): Promise<void> {
  const entries: WeightEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const { name, tensor, dtype } of contents.tensors) {
    const values = (await tensor.data()) as Float32Array;
    const bytes = dtype === 'float16' ? bytesOf(float32ToFloat16(values)) : bytesOf(values);
    const padding = (4 - (bytes.length % 4)) % 4;
    entries.push({ name, shape: [...tensor.shape], dtype, offset });
    chunks.push(bytes, new Uint8Array(padding));
    offset += bytes.length + padding;
  }
  const weights = Buffer.concat(chunks);
  const json: ModelJson = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    kind: contents.kind,
    config: contents.config,
    extra: contents.extra,
    networks: contents.networks,
    ...(contents.optimizers ? { optimizers: contents.optimizers } : {}),
    weights: { file: WEIGHTS_BIN, byteLength: offset, sha256: sha256(weights), entries },
  };
  // An existing model directory is replaced, nothing else.
  replaceDirAtomic(dir, [
    [WEIGHTS_BIN, weights],
    [MODEL_JSON, JSON.stringify(json, null, 1) + '\n'],
  ], { marker: MODEL_JSON, what: 'a model directory' });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function bytesOf(a: Float32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function readModelDir(dir: string): { json: ModelJson; values: Map<string, TensorValues> } {
  try {
    recoverDirReplacement(dir); // a save that crashed while replacing this model
  } catch {
    // cannot repair it here (a read-only folder): reported as missing just below
  }
  if (!existsSync(dir)) throw new FileError(dir, 'no such model directory');
  if (!statSync(dir).isDirectory()) throw new FileError(dir, 'is not a model directory (expected a directory with model.json and weights.bin)');
  const jsonPath = join(dir, MODEL_JSON);
  if (!existsSync(jsonPath)) throw new FileError(jsonPath, 'missing: not a voiceswap model directory');
  const json = parseModelJson(jsonPath, readFileSync(jsonPath, 'utf8'));
  const weightsPath = join(dir, json.weights.file);
  if (!existsSync(weightsPath)) throw new FileError(weightsPath, 'missing: the model has no weights');
  const bytes = readFileSync(weightsPath);
  const values = decodeWeights(json, bytes, jsonPath, weightsPath, sha256);
  return { json, values };
}

