import { join } from 'node:path';
import { loadModel, MODEL_JSON } from '../model/io.js';
import { resolveModelDir } from '../run/export.js';
import { DIRECTIONS, GENERATOR_OF, voiceModelFromLoaded, withDirectionsError, type Direction, type VoiceModel } from './voice-model-core.js';

export * from './voice-model-core.js';
export { resolveModelDir, saveVoiceModel, serializeStats } from '../run/export.js';

/**
 * Load an inference model for the given directions (default both) on the current
 * backend. A model made with another feature config is refused by the caller's check
 * (`assertFeatures`); a direction the model lacks is a clear error.
 */
export function loadVoiceModel(path: string, directions: readonly Direction[] = DIRECTIONS): VoiceModel {
  const dir = resolveModelDir(path);
  const jsonPath = join(dir, MODEL_JSON);
  const names = directions.map((d) => GENERATOR_OF[d]);
  const loaded = withDirectionsError(jsonPath, directions, () => loadModel(dir, names));
  return voiceModelFromLoaded(dir, jsonPath, loaded, directions);
}
