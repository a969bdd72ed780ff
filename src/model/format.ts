import { FileError } from '../errors.js';
import { float16ToFloat32 } from '../io/float16.js';
import { sha256Hex } from '../util/sha256.js';
import { discriminatorModules } from './discriminator.js';
import { generatorModules } from './generator.js';
import { networkFromValues, shapeSize, type Module, type Network } from './params.js';
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
 *
 * This file reads the format from bytes and needs no Node module (the browser page parses
 * a model with it); io.ts reads and writes model directories on disk.
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

export interface ModelJson {
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
export const MODULES_OF_KIND: Record<string, (config: ModelConfig) => Module[]> = {
  generator: generatorModules,
  discriminator: discriminatorModules,
};

export interface LoadedModel {
  config: ModelConfig;
  extra: unknown;
  /** The loaded networks by name ('G_AB', ...): their variables belong to the caller. */
  networks: Map<string, Network>;
}

export interface TensorValues {
  shape: number[];
  data: Float32Array;
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

export function loadModelNetworks(jsonPath: string, json: ModelJson, values: ReadonlyMap<string, TensorValues>, names: readonly string[]): Map<string, Network> {
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


/** Parse model.json's text (named `path` in errors) and check its structure. */
export function parseModelJson(path: string, text: string): ModelJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FileError(path, `is not valid JSON (${(err as Error).message})`);
  }
  return checkModelJson(path, parsed);
}

/**
 * The tensors' values out of weights.bin's bytes, after checking its length and (when
 * model.json has one) its SHA-256 with `hash`. Errors name `jsonPath` or `weightsPath`.
 */
export function decodeWeights(
  json: ModelJson,
  bytes: Uint8Array,
  jsonPath: string,
  weightsPath: string,
  hash: (bytes: Uint8Array) => string = sha256Hex,
): Map<string, TensorValues> {
  if (bytes.length !== json.weights.byteLength) {
    throw new FileError(weightsPath, `has ${bytes.length} bytes, ${MODEL_JSON} expects ${json.weights.byteLength} (truncated or from another save)`);
  }
  // Flipped or zeroed bytes load as plausible numbers and convert to noise with exit 0.
  if (json.weights.sha256 !== undefined && hash(bytes) !== json.weights.sha256) {
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
  return values;
}

export interface ParseModelOptions {
  /** How errors name the two files (default 'model.json' and 'weights.bin'). */
  jsonName?: string;
  weightsName?: string;
  /** Networks to build (default all), e.g. ['G_AB'] to convert one way. */
  only?: readonly string[];
}

/**
 * A model from the text of its model.json and the bytes of its weights.bin (a browser's
 * picked files, a fetch), with the same checks as loadModel; networks are built on the
 * current backend and belong to the caller. Throws FileError naming the file at fault.
 */
export function parseModel(jsonText: string, weightsBytes: Uint8Array, options: ParseModelOptions = {}): LoadedModel {
  const jsonPath = options.jsonName ?? MODEL_JSON;
  const json = parseModelJson(jsonPath, jsonText);
  const values = decodeWeights(json, weightsBytes, jsonPath, options.weightsName ?? json.weights.file);
  const networks = loadModelNetworks(jsonPath, json, values, options.only ?? json.networks.map((n) => n.name));
  return { config: json.config, extra: json.extra, networks };
}

/** Check the structure of a parsed model.json, naming the first problem. */
export function checkModelJson(path: string, v: unknown): ModelJson {
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
