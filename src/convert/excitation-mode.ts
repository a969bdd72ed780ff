// The excitation choices, in a module free of tfjs so the CLI can parse options before picking a backend.

/**
 * Where a converted frame's fine structure (harmonics or noise) comes from:
 *  - 'rebuilt': a harmonic comb at the input's F0 mapped to the target speaker (log-Gaussian),
 *    with a depth set by the input's periodicity; unvoiced frames keep their noise (needs a model with
 *    pitch statistics);
 *  - 'source': the input's own fine structure on the converted envelope: the pitch is not converted;
 *  - 'network': whatever the generator drew (only models that map whole log-mels).
 */
export type ExcitationMode = 'rebuilt' | 'source' | 'network';

export const EXCITATION_MODES: readonly ExcitationMode[] = Object.freeze(['rebuilt', 'source', 'network']);

/**
 * Which frames of a converted utterance are voiced (rebuilt excitation):
 *  - 'target': where the input is voiced, and also where the target speaker's voicing
 *    classifier says so on the converted envelope, unless the input is clear noise there
 *    (models with voicing classifiers; the default for them);
 *  - 'source': where the input is voiced.
 */
export type VoicingMode = 'target' | 'source';

export const VOICING_MODES: readonly VoicingMode[] = Object.freeze(['target', 'source']);
