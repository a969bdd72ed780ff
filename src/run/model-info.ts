import type { FeatureConfig } from '../audio/config.js';
import type { PitchStats } from '../audio/pitch.js';
import type { SpeakerStats } from '../model/normalization.js';
import type { TransportMaps } from '../model/transport.js';
import type { VoicingClassifier } from '../model/voicing.js';

/**
 * What an exported inference model holds besides the generators' weights (the `extra`
 * field of its model.json): the features it was trained on, both speakers' statistics
 * and some provenance.
 */
export interface VoiceModelInfo {
  features: FeatureConfig;
  speakers: { a: string; b: string };
  stats: { a: SerializedStats; b: SerializedStats };
  /** Both speakers' ln-F0 statistics (log-Gaussian F0 mapping); absent in models made before pitch tracking. */
  pitch?: { a: PitchStats; b: PitchStats };
  /** Both speakers' voicing classifiers (model/voicing.ts); absent in models made before them (the source's voicing is kept). */
  voicing?: { a: VoicingClassifier; b: VoicingClassifier };
  /** The 'transport' skip's maps (model/transport.ts), row-major nMels x nMels; only in models with that skip. */
  transport?: SerializedTransport;
  /** Training iteration of the generators; per direction when they come from two checkpoints of one run (scripts/ship-model.mjs). */
  iteration: number | { a2b: number; b2a: number };
  trainedAt: string;
}

export interface SerializedStats {
  mean: number[];
  std: number[];
}

export function serializeStats(s: SpeakerStats): SerializedStats {
  return { mean: Array.from(s.mean), std: Array.from(s.std) };
}

export interface SerializedTransport {
  a2b: number[];
  b2a: number[];
}

/** Nine significant digits: every float32 reads back exactly. */
export function serializeTransport(t: TransportMaps): SerializedTransport {
  const exact = (m: Float32Array) => Array.from(m, (v) => Number(v.toPrecision(9)));
  return { a2b: exact(t.a2b), b2a: exact(t.b2a) };
}
