import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileError } from '../errors.js';
import { MODEL_JSON, saveModel } from '../model/io.js';
import type { Network } from '../model/params.js';
import type { ModelConfig } from '../model/presets.js';
import type { VoiceModelInfo } from './model-info.js';
import { runPaths } from './run-dir.js';

export { serializeStats, serializeTransport, type SerializedStats, type SerializedTransport, type VoiceModelInfo } from './model-info.js';

/** A run's exported inference models (export/iter-N/): the model.json `extra` they carry, and finding the newest. */

/** Export the generators of a trainer as an inference model directory (atomic). */
export async function saveVoiceModel(
  dir: string,
  config: ModelConfig,
  generators: { gAB: Network; gBA: Network },
  info: VoiceModelInfo,
  options: { float16?: boolean } = {},
): Promise<void> {
  await saveModel(dir, config, [generators.gAB, generators.gBA], { extra: info, float16: options.float16 });
}

/**
 * The model directory to load from `path`: a model directory itself (holds model.json),
 * or a training run directory, whose newest export under `export/` is taken.
 */
export function resolveModelDir(path: string): string {
  if (!existsSync(path)) throw new FileError(path, 'model not found (expected a model directory or a training run directory)');
  if (existsSync(join(path, MODEL_JSON))) return path;
  const exportRoot = runPaths(path).exports;
  if (existsSync(exportRoot) && statSync(exportRoot).isDirectory()) {
    const exports = readdirSync(exportRoot)
      .filter((name) => existsSync(join(exportRoot, name, MODEL_JSON)))
      .sort();
    if (exports.length > 0) return join(exportRoot, exports[exports.length - 1]);
  }
  throw new FileError(path, `not a voiceswap model: no ${MODEL_JSON} here and no exported model under export/`);
}
