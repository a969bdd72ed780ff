import { DEFAULT_FEATURE_CONFIG } from '../audio/config.js';
import { VoiceswapError } from '../errors.js';

/**
 * Model size presets. Each one scales every channel width of the CycleGAN-VC2 networks
 * (MaskCycleGAN-VC widths) except the single input/output channel and the mel axis.
 */
export const PRESET_SCALES = Object.freeze({
  paper: 1, // the published widths, for GPUs
  base: 1 / 2,
  small: 1 / 4, // the CPU default
  tiny: 1 / 8, // quick runs
});

export type PresetName = keyof typeof PRESET_SCALES;

export const PRESET_NAMES = Object.keys(PRESET_SCALES) as PresetName[];

export const DEFAULT_PRESET: PresetName = 'small';

/** The skip path of new models (see ModelConfig.inputSkip). */
export const DEFAULT_INPUT_SKIP: InputSkip = 'envelope';

/** What new models' generators map (see ModelConfig.domain). */
export const DEFAULT_DOMAIN: GeneratorDomain = 'envelope';

/**
 * What the generators map:
 *  - 'log-mel': whole log-mel spectrograms, harmonics included, so the network draws the
 *    pitch (CycleGAN-VC2 as published; every model before pitch tracking);
 *  - 'envelope': spectral envelopes only (the log-mel smoothed across bins, see
 *    audio/envelope.ts), as the original CycleGAN-VC converted mel-cepstra: the pitch is
 *    tracked, mapped and rebuilt as an excitation outside the network.
 */
export type GeneratorDomain = 'log-mel' | 'envelope';

export const GENERATOR_DOMAINS: readonly GeneratorDomain[] = Object.freeze(['log-mel', 'envelope']);

/** Everything that decides the networks' shapes and what they map; saved with every model. */
export interface ModelConfig {
  /** The preset the scale came from, or 'custom' for any other scale (tests, experiments). */
  preset: PresetName | 'custom';
  /** Width multiplier applied to the paper's channel counts. */
  scale: number;
  /** Mel bins (the height of the spectrogram images); must be divisible by 4. */
  nMels: number;
  /** Residual blocks in the generator's 1D part (6 in the paper). */
  nResBlocks: number;
  /** What the generator adds its network's output to (see InputSkip). Older models: 'none'. */
  inputSkip: InputSkip;
  /** What the generators map. Older models: 'log-mel'. */
  domain: GeneratorDomain;
}

/**
 * The generator's skip path:
 *  - 'none': the network draws the whole converted spectrogram (CycleGAN-VC2);
 *  - 'input': the network's output is added to the (normalised) input, so it learns a
 *    correction to the statistics-only mapping;
 *  - 'envelope': the network's output is added to the input smoothed across mel bins
 *    (audio/envelope.ts): the spectral envelope, which carries what is said, passes
 *    through, while the harmonic ripple, which carries the pitch, must be drawn by the
 *    network in the target's voice;
 *  - 'transport' (envelope domain only): the network's output is added to the input mapped
 *    by the optimal-transport map between the two speakers' envelope frame distributions
 *    (model/transport.ts), fixed from the training recordings and saved with the model:
 *    the network learns what a linear map of the whole envelope cannot do.
 */
export type InputSkip = 'none' | 'input' | 'envelope' | 'transport';

export const INPUT_SKIPS: readonly InputSkip[] = Object.freeze(['none', 'input', 'envelope', 'transport']);

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESET_SCALES, name);
}

/** Mel bins of new models: the feature config's (audio/config.ts). */
export const DEFAULT_N_MELS = DEFAULT_FEATURE_CONFIG.nMels;

/** Residual blocks in the generator's 1D part (the paper's 6). */
export const DEFAULT_RES_BLOCKS = 6;

/** The configuration of a named preset (the default feature config's mel bins, 6 residual blocks). */
export function presetConfig(preset: PresetName, nMels = DEFAULT_N_MELS, inputSkip: InputSkip = DEFAULT_INPUT_SKIP, domain: GeneratorDomain = DEFAULT_DOMAIN): ModelConfig {
  return checkedConfig({ preset, scale: PRESET_SCALES[preset], nMels, nResBlocks: DEFAULT_RES_BLOCKS, inputSkip, domain });
}

/** A configuration with an arbitrary width scale (e.g. 1/32 for fast tests). */
export function customConfig(scale: number, nMels = DEFAULT_N_MELS, nResBlocks = DEFAULT_RES_BLOCKS, inputSkip: InputSkip = DEFAULT_INPUT_SKIP, domain: GeneratorDomain = DEFAULT_DOMAIN): ModelConfig {
  return checkedConfig({ preset: 'custom', scale, nMels, nResBlocks, inputSkip, domain });
}

/** Parse a user-supplied preset name; throws a one-line VoiceswapError for an unknown one. */
export function parsePreset(name: string): PresetName {
  if (!isPresetName(name)) {
    throw new VoiceswapError(`unknown preset '${name}' (expected one of: ${PRESET_NAMES.join(', ')})`);
  }
  return name;
}

/**
 * Paper width `c` scaled by `scale`, rounded like Python's round() (half to even), at
 * least 1, so that every width equals the PyTorch reference's `width()`.
 */
export function scaledWidth(c: number, scale: number): number {
  return Math.max(1, roundHalfEven(c * scale));
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds halves up; Python rounds them to the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * A saved config as this version reads it: models saved before `inputSkip` existed have
 * none, and models saved before `domain` existed map whole log-mels.
 */
export function upgradeModelConfig(config: unknown): unknown {
  if (typeof config !== 'object' || config === null) return config;
  const c = config as Record<string, unknown>;
  // Same key order as a config made today, so saved and requested configs compare equal as JSON.
  return { ...c, inputSkip: c.inputSkip ?? 'none', domain: c.domain ?? 'log-mel' };
}

/** Why `config` cannot describe a model, or null when it is valid. */
export function configProblem(config: unknown): string | null {
  if (typeof config !== 'object' || config === null) return 'model config is not an object';
  const c = config as Record<string, unknown>;
  if (c.preset !== 'custom' && !(typeof c.preset === 'string' && isPresetName(c.preset))) {
    return `unknown preset ${JSON.stringify(c.preset)}`;
  }
  if (typeof c.scale !== 'number' || !(c.scale > 0) || !Number.isFinite(c.scale)) {
    return `scale must be a positive number, got ${JSON.stringify(c.scale)}`;
  }
  if (c.preset !== 'custom' && c.scale !== PRESET_SCALES[c.preset as PresetName]) {
    return `preset '${String(c.preset)}' has scale ${PRESET_SCALES[c.preset as PresetName]}, not ${c.scale}`;
  }
  if (!Number.isInteger(c.nMels) || (c.nMels as number) < 4 || (c.nMels as number) % 4 !== 0) {
    return `nMels must be a positive multiple of 4, got ${JSON.stringify(c.nMels)}`;
  }
  if (!Number.isInteger(c.nResBlocks) || (c.nResBlocks as number) < 0) {
    return `nResBlocks must be a non-negative integer, got ${JSON.stringify(c.nResBlocks)}`;
  }
  if (!INPUT_SKIPS.includes(c.inputSkip as InputSkip)) return `inputSkip must be one of ${INPUT_SKIPS.join(', ')}, got ${JSON.stringify(c.inputSkip)}`;
  if (!GENERATOR_DOMAINS.includes(c.domain as GeneratorDomain)) return `domain must be one of ${GENERATOR_DOMAINS.join(', ')}, got ${JSON.stringify(c.domain)}`;
  if (c.inputSkip === 'transport' && c.domain !== 'envelope') return `the transport skip maps spectral envelopes: it needs the envelope domain, not '${String(c.domain)}'`;
  return null;
}

function checkedConfig(config: ModelConfig): ModelConfig {
  const problem = configProblem(config);
  if (problem !== null) throw new VoiceswapError(problem);
  return config;
}
