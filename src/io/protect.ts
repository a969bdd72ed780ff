import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FileError } from '../errors.js';

/**
 * Refuse an output path that is one of the inputs: inputs are never overwritten. Paths are
 * compared by real path, so a symlink or `./` spelling of an input is caught too.
 */
export function assertNotInput(output: string, inputs: readonly string[]): void {
  const target = canonicalPath(output);
  for (const input of inputs) {
    if (canonicalPath(input) === target) {
      throw new FileError(output, `refusing to overwrite input file ${input}; choose another output path`);
    }
  }
}

/** Whether two paths name the same file (by real path, as assertNotInput compares them). */
export function samePath(a: string, b: string): boolean {
  return canonicalPath(a) === canonicalPath(b);
}

/** The real path of `path`, or of its directory joined with its name when it does not exist yet. */
function canonicalPath(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}
