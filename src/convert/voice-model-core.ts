/**
 * A loaded voice model and what conversion reads from it. No Node module here: the browser
 * page builds its model with voiceModelFromBytes; loadVoiceModel (voice-model.ts) reads a
 * model directory on disk. Both go through the same checks (voiceModelFromLoaded).
 */
import type { FeatureConfig } from '../audio/config.js';
import type { PitchStats } from '../audio/pitch.js';
import { FileError, VoiceswapError } from '../errors.js';
import { MODEL_JSON, parseModel, type LoadedModel } from '../model/format.js';
import { disposeNetwork, type Network } from '../model/params.js';
import type { ModelConfig } from '../model/presets.js';
import type { SpeakerStats } from '../model/normalization.js';
import type { TransportMaps } from '../model/transport.js';
import { isVoicingClassifier, type VoicingClassifier } from '../model/voicing.js';
import type { SerializedStats, SerializedTransport, VoiceModelInfo } from '../run/model-info.js';

import { DIRECTIONS, type Direction } from './direction.js';

export { DIRECTIONS, type Direction };
export type { SerializedStats, VoiceModelInfo } from '../run/model-info.js';

/** The generator that maps each direction, by its network name. */
export const GENERATOR_OF: Readonly<Record<Direction, string>> = Object.freeze({ a2b: 'G_AB', b2a: 'G_BA' });

/** A loaded inference model: generators plus everything needed to use them. */
export interface VoiceModel {
  dir: string;
  config: ModelConfig;
  info: VoiceModelInfo;
  stats: { a: SpeakerStats; b: SpeakerStats };
  /** Null for models made before pitch tracking: they can only convert with the network's own harmonics. */
  pitch: { a: PitchStats; b: PitchStats } | null;
  /** Null for models made before voicing classifiers: they keep the source's voicing. */
  voicing: { a: VoicingClassifier; b: VoicingClassifier } | null;
  /** The generators' fixed skip maps: only (and always) in models with the 'transport' skip. */
  transport: TransportMaps | null;
  generators: Partial<Record<Direction, Network>>;
}

function deserializeStats(s: SerializedStats, nMels: number, where: string): SpeakerStats {
  if (!Array.isArray(s?.mean) || !Array.isArray(s?.std) || s.mean.length !== nMels || s.std.length !== nMels) {
    throw new FileError(where, `normalisation statistics missing or not ${nMels} values per speaker`);
  }
  return { mean: Float32Array.from(s.mean), std: Float32Array.from(s.std) };
}

function checkedPitchStats(p: PitchStats, where: string): PitchStats {
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!p || !finite(p.logMean) || !finite(p.logStd) || p.logStd < 0 || !finite(p.voicedFrames)) {
    throw new FileError(where, 'pitch statistics are damaged (need a finite logMean, logStd >= 0 and voicedFrames per speaker)');
  }
  return p;
}

function checkedTransport(t: SerializedTransport | undefined, nMels: number, where: string): TransportMaps {
  const matrix = (m: unknown) => Array.isArray(m) && m.length === nMels * nMels && m.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!t || !matrix(t.a2b) || !matrix(t.b2a)) throw new FileError(where, `the transport skip's maps are missing or damaged (need two ${nMels} x ${nMels} matrices of finite numbers)`);
  return { a2b: Float32Array.from(t.a2b), b2a: Float32Array.from(t.b2a) };
}

function checkedVoicing(c: unknown, nMels: number, where: string): VoicingClassifier {
  if (!isVoicingClassifier(c, nMels)) throw new FileError(where, `voicing classifiers are damaged (need a context and finite weights for ${nMels} bins per speaker)`);
  return c;
}

/**
 * A VoiceModel from a parsed model (its networks are taken over, and disposed on a
 * failed check): speaker statistics, pitch statistics and voicing classifiers checked.
 * `dir` and `jsonPath` name the model in errors.
 */
export function voiceModelFromLoaded(dir: string, jsonPath: string, loaded: LoadedModel, directions: readonly Direction[]): VoiceModel {
  const generators: Partial<Record<Direction, Network>> = {};
  for (const d of directions) generators[d] = loaded.networks.get(GENERATOR_OF[d]);
  const info = loaded.extra as VoiceModelInfo | null;
  try {
    if (!info || typeof info !== 'object' || !info.features || !info.stats) {
      throw new FileError(jsonPath, 'has no voice-conversion metadata (features and speaker statistics): is it a training checkpoint? Use the export/ directory of the run');
    }
    const nMels = loaded.config.nMels;
    const stats = { a: deserializeStats(info.stats.a, nMels, jsonPath), b: deserializeStats(info.stats.b, nMels, jsonPath) };
    const pitch = info.pitch ? { a: checkedPitchStats(info.pitch.a, jsonPath), b: checkedPitchStats(info.pitch.b, jsonPath) } : null;
    const voicing = info.voicing ? { a: checkedVoicing(info.voicing.a, nMels, jsonPath), b: checkedVoicing(info.voicing.b, nMels, jsonPath) } : null;
    const transport = loaded.config.inputSkip === 'transport' ? checkedTransport(info.transport, nMels, jsonPath) : null;
    return { dir, config: loaded.config, info, stats, pitch, voicing, transport, generators };
  } catch (err) {
    for (const net of loaded.networks.values()) disposeNetwork(net);
    throw err;
  }
}

/** Run `load` (which builds the generators `directions` need); a missing one becomes a FileError naming the direction. */
export function withDirectionsError<T>(jsonPath: string, directions: readonly Direction[], load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof FileError && /has no network/.test(err.message)) {
      throw new FileError(jsonPath, `this model cannot convert ${directions.join(' and ')}: ${err.message.slice(jsonPath.length + 2)}`);
    }
    throw err;
  }
}

/**
 * A voice model from the text of its model.json and the bytes of its weights.bin (files a
 * browser user picked, or fetched), on the current backend, with loadVoiceModel's checks.
 * `name` names the model in errors (default 'model.json').
 */
export function voiceModelFromBytes(jsonText: string, weightsBytes: Uint8Array, directions: readonly Direction[] = DIRECTIONS, name = MODEL_JSON): VoiceModel {
  const names = directions.map((d) => GENERATOR_OF[d]);
  const loaded = withDirectionsError(name, directions, () => parseModel(jsonText, weightsBytes, { jsonName: name, only: names }));
  return voiceModelFromLoaded(name, name, loaded, directions);
}

/** Refuse to use a model with features other than `expected` (a silent mismatch would give garbage). */
export function assertFeatures(model: VoiceModel, expected: FeatureConfig): void {
  const have = model.info.features;
  for (const key of Object.keys(expected) as (keyof FeatureConfig)[]) {
    if (have[key] !== expected[key]) {
      throw new VoiceswapError(`${model.dir}: model was trained with ${key}=${have[key]}, this build uses ${key}=${expected[key]}; retrain or use a matching voiceswap version`);
    }
  }
}

/** Source and target pitch statistics of a direction, or null for a model without them. */
export function directionPitch(model: VoiceModel, direction: Direction): { source: PitchStats; target: PitchStats } | null {
  if (!model.pitch) return null;
  return direction === 'a2b' ? { source: model.pitch.a, target: model.pitch.b } : { source: model.pitch.b, target: model.pitch.a };
}

/** The target speaker's voicing classifier of a direction, or null for a model without them. */
export function directionVoicing(model: VoiceModel, direction: Direction): VoicingClassifier | null {
  if (!model.voicing) return null;
  return direction === 'a2b' ? model.voicing.b : model.voicing.a;
}

/** Source and target statistics of a direction: normalise with the SOURCE, de-normalise with the TARGET. */
export function directionStats(model: VoiceModel, direction: Direction): { source: SpeakerStats; target: SpeakerStats } {
  return direction === 'a2b' ? { source: model.stats.a, target: model.stats.b } : { source: model.stats.b, target: model.stats.a };
}

/** Free the model's tensors. */
export function disposeVoiceModel(model: VoiceModel): void {
  for (const net of Object.values(model.generators)) if (net) disposeNetwork(net);
}
