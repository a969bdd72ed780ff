/** Small in-memory voice models and inputs for conversion tests (no training, no files). */
import { DEFAULT_FEATURE_CONFIG, type Spectrogram } from '../../src/audio/config.js';
import type { PitchStats } from '../../src/audio/pitch.js';
import type { VoiceModel } from '../../src/convert/voice-model.js';
import { serializeStats } from '../../src/convert/voice-model.js';
import { createGenerator } from '../../src/model/generator.js';
import { computeSpeakerStats } from '../../src/model/normalization.js';
import { customConfig } from '../../src/model/presets.js';
import type { VoicingClassifier } from '../../src/model/voicing.js';
import { harmonicTone } from './signals.js';

const CFG = DEFAULT_FEATURE_CONFIG;
const SR = CFG.sampleRate;

/** A vowel-like source: harmonics of f(t) under a two-formant envelope. */
export function vowel(seconds: number, hz: (t: number) => number): Float32Array {
  const formant = (f: number, centre: number, width: number) => Math.exp(-(((f - centre) / width) ** 2));
  return harmonicTone(seconds, hz, 60, SR, (k, t) => {
    const f = k * hz(t);
    return f > 7500 ? 0 : (0.05 + formant(f, 700, 300) + 0.6 * formant(f, 1800, 400)) / Math.sqrt(k);
  });
}

/**
 * An inference model with fresh (untrained) envelope generators and chosen pitch
 * statistics: the generators move the envelope, never the pitch, so the converted F0 must
 * follow the mapping whatever their weights.
 */
export function modelWithPitch(envelopes: Spectrogram[], a: PitchStats, b: PitchStats, voicing: { a: VoicingClassifier; b: VoicingClassifier } | null = null): VoiceModel {
  const config = customConfig(1 / 32);
  const stats = computeSpeakerStats(envelopes);
  return {
    dir: '(test model)',
    config,
    info: { features: { ...CFG }, speakers: { a: 'a', b: 'b' }, stats: { a: serializeStats(stats), b: serializeStats(stats) }, pitch: { a, b }, iteration: 0, trainedAt: '' },
    stats: { a: stats, b: stats },
    pitch: { a, b },
    voicing,
    transport: null,
    generators: { a2b: createGenerator(config, 'G_AB', 1), b2a: createGenerator(config, 'G_BA', 2) },
  };
}
