import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

/**
 * The pretrained alice<->bob model that ships in the package (models/alice-bob): what
 * `voiceswap convert` uses without --model. Kept free of tfjs so the CLI can name it
 * before loading a backend.
 */
export function defaultModelDir(): string {
  return join(packageRoot() ?? '.', 'models', 'alice-bob');
}
