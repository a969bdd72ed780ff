import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileError } from '../errors.js';
import { recoverDirReplacement, replaceDirAtomic } from '../io/atomic.js';
import { float16ToFloat32, float32ToFloat16 } from '../io/float16.js';
import { discriminatorModules } from './discriminator.js';
import { generatorModules } from './generator.js';
import { networkFromValues, sameShape, shapeSize, type Module, type Network } from './params.js';
import { configProblem, upgradeModelConfig, type ModelConfig } from './presets.js';

/**
 * Our own model format, readable on every tfjs backend (no tfjs-node file:// handler):
 * one directory holding
 *   model.json   {format, version, kind, config, extra, networks, optimizers?, weights}
 *   weights.bin  every tensor's values back to back, little-endian float32 or float16,
 *                each starting at a multiple of 4 bytes
 * `weights.entries` lists name ('G_AB/down1/conv/kernel'), shape, dtype and byte offset;
 * `weights.sha256` the SHA-256 of weights.bin (models saved before it existed have none).
 * Conv kernels are in tfjs's layout [kh, kw, in, out]. A 'model' holds networks for
 * conversion; a 'checkpoint' holds all four networks and both optimisers' state
 * (tensors 'opt_g/m/<param>', 'opt_g/v/<param>', ...) to resume training exactly.
 */

export const MODEL_FORMAT = 'voiceswap-cyclegan';
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export type WeightDtype = 'float32' | 'float16';

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  offset: number;
}

/** An optimiser's saved scalars: its step count and Adam hyperparameters. */
export interface OptimiserJson {
  step: number;
  beta1: number;
  beta2: number;
  eps: number;
}

interface ModelJson {
  format: typeof MODEL_FORMAT;
  version: number;
  kind: 'model' | 'checkpoint';
  config: ModelConfig;
  extra: unknown;
  networks: Array<{ name: string; kind: string }>;
  optimizers?: { g: OptimiserJson; d: OptimiserJson };
  weights: { file: string; byteLength: number; sha256?: string; entries: WeightEntry[] };
}

/** The module list of each network kind, for a config. */
const MODULES_OF_KIND: Record<string, (config: ModelConfig) => Module[]> = {
  generator: generatorModules,
  discriminator: discriminatorModules,
};

export interface SaveModelOptions {
  /** Opaque JSON saved alongside (e.g. the FeatureConfig and normalisation statistics). */
  extra?: unknown;
  /** Store weights as float16: half the size, about 3 significant digits. */
  float16?: boolean;
}

export interface LoadedModel {
  config: ModelConfig;
  extra: unknown;
  /** The loaded networks by name ('G_AB', ...): their variables belong to the caller. */
  networks: Map<string, Network>;
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

function buildNetwork(jsonPath: string, config: ModelConfig, info: { name: string; kind: string }, values: ReadonlyMap<string, TensorValues>): Network {
  const modulesOf = MODULES_OF_KIND[info.kind];
  if (modulesOf === undefined) throw new FileError(jsonPath, `network '${info.name}' has unknown kind '${info.kind}'`);
  const prefix = `${info.name}/`;
  const own = new Map<string, TensorValues>();
  for (const [name, v] of values) if (name.startsWith(prefix)) own.set(name.slice(prefix.length), v);
  try {
    return networkFromValues(info.name, info.kind, modulesOf(config), own);
  } catch (err) {
    throw new FileError(jsonPath, (err as Error).message);
  }
}

function loadModelNetworks(jsonPath: string, json: ModelJson, values: ReadonlyMap<string, TensorValues>, names: readonly string[]): Map<string, Network> {
  const networks = new Map<string, Network>();
  try {
    for (const name of names) {
      const info = json.networks.find((n) => n.name === name);
      if (info === undefined) throw new FileError(jsonPath, `has no network '${name}' (it has ${json.networks.map((n) => n.name).join(', ')})`);
      networks.set(name, buildNetwork(jsonPath, json.config, info, values));
    }
  } catch (err) {
    for (const net of networks.values()) for (const v of net.vars.values()) v.dispose();
    throw err;
  }
  return networks;
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

interface TensorValues {
  shape: number[];
  data: Float32Array;
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw new FileError(jsonPath, `is not valid JSON (${(err as Error).message})`);
  }
  const json = checkModelJson(jsonPath, parsed);
  const weightsPath = join(dir, json.weights.file);
  if (!existsSync(weightsPath)) throw new FileError(weightsPath, 'missing: the model has no weights');
  const bytes = readFileSync(weightsPath);
  if (bytes.length !== json.weights.byteLength) {
    throw new FileError(weightsPath, `has ${bytes.length} bytes, ${MODEL_JSON} expects ${json.weights.byteLength} (truncated or from another save)`);
  }
  // Flipped or zeroed bytes load as plausible numbers and convert to noise with exit 0.
  if (json.weights.sha256 !== undefined && sha256(bytes) !== json.weights.sha256) {
    throw new FileError(weightsPath, `is damaged: its SHA-256 does not match the one in ${MODEL_JSON} (changed or corrupted since it was saved)`);
  }
  const values = new Map<string, TensorValues>();
  for (const e of json.weights.entries) {
    const count = shapeSize(e.shape);
    const width = e.dtype === 'float16' ? 2 : 4;
    if (e.offset + count * width > bytes.length) {
      throw new FileError(jsonPath, `weight '${e.name}' lies beyond the end of ${json.weights.file}`);
    }
    // Copy out of the file buffer: typed-array views need aligned offsets, and the
    // tensors must not pin the whole file.
    const raw = bytes.subarray(e.offset, e.offset + count * width);
    const data = e.dtype === 'float16'
      ? float16ToFloat32(new Uint16Array(new Uint8Array(raw).buffer))
      : new Float32Array(new Uint8Array(raw).buffer);
    if (!data.every(Number.isFinite)) throw new FileError(weightsPath, `weight '${e.name}' holds NaN or infinite values: the model is damaged`);
    values.set(e.name, { shape: e.shape, data });
  }
  return { json, values };
}

/** Check the structure of a parsed model.json, naming the first problem. */
function checkModelJson(path: string, v: unknown): ModelJson {
  const fail = (problem: string): never => {
    throw new FileError(path, problem);
  };
  if (typeof v !== 'object' || v === null) return fail('is not a voiceswap model (not a JSON object)');
  const j = v as Record<string, unknown>;
  if (j.format !== MODEL_FORMAT) return fail(`is not a voiceswap model (format ${JSON.stringify(j.format)}, expected "${MODEL_FORMAT}")`);
  if (j.version !== MODEL_FORMAT_VERSION) {
    return fail(`has format version ${JSON.stringify(j.version)}; this voiceswap reads version ${MODEL_FORMAT_VERSION}`);
  }
  if (j.kind !== 'model' && j.kind !== 'checkpoint') return fail(`has unknown kind ${JSON.stringify(j.kind)}`);
  j.config = upgradeModelConfig(j.config);
  const problem = configProblem(j.config);
  if (problem !== null) fail(`bad model config: ${problem}`);
  if (!Array.isArray(j.networks) || !j.networks.every((n) => typeof n?.name === 'string' && typeof n?.kind === 'string')) {
    fail('has no valid network list');
  }
  const w = j.weights as Record<string, unknown> | undefined;
  if (typeof w !== 'object' || w === null || typeof w.file !== 'string' || w.file.includes('/') || w.file.includes('\\')) {
    return fail('has no valid weights section');
  }
  if (!Number.isInteger(w.byteLength) || (w.byteLength as number) < 0) fail('weights.byteLength is not a byte count');
  if (w.sha256 !== undefined && !(typeof w.sha256 === 'string' && /^[0-9a-f]{64}$/.test(w.sha256))) fail('weights.sha256 is not a SHA-256 in hex');
  if (!Array.isArray(w.entries)) return fail('weights.entries is not a list');
  const seen = new Set<string>();
  for (const e of w.entries as unknown[]) {
    const entry = e as Partial<WeightEntry> | null;
    const name = typeof entry?.name === 'string' ? entry.name : '';
    if (name === '') fail('a weight entry has no name');
    if (seen.has(name)) fail(`weight '${name}' is listed twice`);
    seen.add(name);
    if (!Array.isArray(entry!.shape) || !entry!.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`weight '${name}' has an invalid shape`);
    if (entry!.dtype !== 'float32' && entry!.dtype !== 'float16') fail(`weight '${name}' has unsupported dtype ${JSON.stringify(entry!.dtype)}`);
    if (!Number.isInteger(entry!.offset) || entry!.offset! < 0) fail(`weight '${name}' has an invalid offset`);
  }
  if (j.optimizers !== undefined) {
    const o = j.optimizers as Record<string, Partial<OptimiserJson> | undefined>;
    for (const key of ['g', 'd']) {
      const opt = o[key];
      if (!opt || !Number.isInteger(opt.step) || ![opt.beta1, opt.beta2, opt.eps].every((x) => typeof x === 'number')) {
        fail(`optimiser '${key}' state is invalid`);
      }
    }
  }
  return v as ModelJson;
}
