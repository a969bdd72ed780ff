import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above this module that holds package.json.
 * This module runs from src/util/ (tests, ts sources) or dist/src/util/ (compiled), so a
 * fixed number of '..' would be wrong in one of the two.
 */
export function packageRoot(fromDir: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
