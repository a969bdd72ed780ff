import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileError } from '../errors.js';
import { recoverDirReplacement, writeDirAtomic } from '../io/atomic.js';
import { CYCLEGAN_ADAM, type Adam, type AdamHyperparameters } from '../train/adam.js';
import { CycleGanTrainer, NETWORK_NAMES } from '../train/step.js';
import { discriminatorLayers } from './discriminator.js';
import { generatorLayers } from './generator.js';
import { networkFromValues, paramSpecs, sameShape, shapeSize, type LayerSpec, type Network } from './params.js';
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

interface OptimiserJson extends AdamHyperparameters {
  step: number;
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

/** The layer list of each network kind, for a config. */
const LAYERS_OF_KIND: Record<string, (config: ModelConfig) => LayerSpec[]> = {
  generator: generatorLayers,
  discriminator: discriminatorLayers,
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

/** Save everything needed to resume training: all four networks and both optimisers. */
export async function saveTrainerState(dir: string, trainer: CycleGanTrainer, options: { extra?: unknown } = {}): Promise<void> {
  const nets = trainer.networks();
  const tensors = nets.flatMap((net) => checkedNetworkTensors(net, trainer.config));
  for (const [prefix, opt] of [['opt_g', trainer.optG], ['opt_d', trainer.optD]] as const) {
    for (const [name, tensor] of opt.stateTensors()) tensors.push({ name: `${prefix}/${name}`, tensor });
  }
  await writeModelDir(dir, {
    kind: 'checkpoint',
    config: trainer.config,
    extra: options.extra ?? null,
    networks: nets.map((n) => ({ name: n.name, kind: n.kind })),
    optimizers: { g: optimiserJson(trainer.optG), d: optimiserJson(trainer.optD) },
    tensors: tensors.map((t) => ({ ...t, dtype: 'float32' as const })), // resume must be exact
  });
}

/** Rebuild a trainer, on the current backend, exactly as saveTrainerState saved it. */
export function loadTrainerState(dir: string): { trainer: CycleGanTrainer; extra: unknown } {
  const { json, values } = readModelDir(dir);
  const jsonPath = join(dir, MODEL_JSON);
  if (json.kind !== 'checkpoint' || json.optimizers === undefined) {
    throw new FileError(jsonPath, 'is a model for conversion, not a training checkpoint (it has no optimiser state)');
  }
  const names = Object.values(NETWORK_NAMES);
  const loaded = loadModelNetworks(jsonPath, json, values, names);
  const trainer = new CycleGanTrainer(json.config, {
    networks: { gAB: loaded.get(NETWORK_NAMES.gAB)!, gBA: loaded.get(NETWORK_NAMES.gBA)!, dA: loaded.get(NETWORK_NAMES.dA)!, dB: loaded.get(NETWORK_NAMES.dB)! },
  });
  try {
    restoreOptimiser(jsonPath, trainer.optG, 'opt_g', json.optimizers.g, values);
    restoreOptimiser(jsonPath, trainer.optD, 'opt_d', json.optimizers.d, values);
  } catch (err) {
    trainer.dispose();
    throw err;
  }
  return { trainer, extra: json.extra };
}

// ------------------------------------------------------------------ network <-> tensors

interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** The network's tensors with full names, after checking they fit `config`. */
function checkedNetworkTensors(net: Network, config: ModelConfig): NamedTensor[] {
  const layersOf = LAYERS_OF_KIND[net.kind];
  if (layersOf === undefined) throw new Error(`cannot save network ${net.name} of unknown kind '${net.kind}'`);
  for (const spec of paramSpecs(layersOf(config))) {
    const v = net.vars.get(spec.name);
    if (v === undefined || !sameShape(v.shape, spec.shape)) {
      throw new Error(`network ${net.name} does not match the model config (parameter '${spec.name}')`);
    }
  }
  return [...net.vars].map(([name, tensor]) => ({ name: `${net.name}/${name}`, tensor }));
}

function buildNetwork(jsonPath: string, config: ModelConfig, info: { name: string; kind: string }, values: ReadonlyMap<string, TensorValues>): Network {
  const layersOf = LAYERS_OF_KIND[info.kind];
  if (layersOf === undefined) throw new FileError(jsonPath, `network '${info.name}' has unknown kind '${info.kind}'`);
  const prefix = `${info.name}/`;
  const own = new Map<string, TensorValues>();
  for (const [name, v] of values) if (name.startsWith(prefix)) own.set(name.slice(prefix.length), v);
  try {
    return networkFromValues(info.name, info.kind, layersOf(config), own);
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

function optimiserJson(opt: Adam): OptimiserJson {
  return { step: opt.step, ...opt.hyper };
}

function restoreOptimiser(jsonPath: string, opt: Adam, prefix: string, saved: OptimiserJson, values: ReadonlyMap<string, TensorValues>): void {
  for (const key of ['beta1', 'beta2', 'eps'] as const) {
    if (saved[key] !== CYCLEGAN_ADAM[key]) {
      throw new FileError(jsonPath, `optimiser '${prefix}' was saved with ${key} = ${saved[key]}; this voiceswap trains with ${CYCLEGAN_ADAM[key]}`);
    }
  }
  const own = new Map<string, Float32Array>();
  for (const [name, v] of values) if (name.startsWith(`${prefix}/`)) own.set(name.slice(prefix.length + 1), v.data);
  try {
    opt.restore(saved.step, own);
  } catch (err) {
    throw new FileError(jsonPath, `${prefix}: ${(err as Error).message}`);
  }
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
  writeModelFiles(dir, [
    [WEIGHTS_BIN, weights],
    [MODEL_JSON, JSON.stringify(json, null, 1) + '\n'],
  ]);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function bytesOf(a: Float32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** writeDirAtomic, replacing an existing model directory but nothing else. */
function writeModelFiles(dir: string, files: Array<[string, Uint8Array | string]>): void {
  recoverDirReplacement(dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new FileError(dir, 'exists and is not a directory');
    if (readdirSync(dir).length > 0 && !existsSync(join(dir, MODEL_JSON))) {
      throw new FileError(dir, `exists and is not a model directory (no ${MODEL_JSON}); refusing to replace it`);
    }
  }
  writeDirAtomic(dir, files);
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

// ------------------------------------------------------------------ float16

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of each value, rounded to nearest even (overflow -> infinity). */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
  return out;
}

function toHalfBits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // inf / nan
  const e = exponent - 127 + 15; // rebias
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    // subnormal half (or zero): value = m * 2^-24 with m = full mantissa >> (14 - e)
    if (e < -10) return sign; // below half the smallest subnormal
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    return sign | roundShift(full, shift);
  }
  // normal: a carry out of the mantissa correctly bumps the exponent (up to infinity)
  return sign | ((e << 10) + roundShift(mantissa, 13));
}

/** value >> shift, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** Values of IEEE 754 binary16 bit patterns. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) out[i] = sign * mantissa * 2 ** -24;
    else if (exponent === 0x1f) out[i] = mantissa === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return out;
}
