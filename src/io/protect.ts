import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { VoiceswapError } from '../errors.js';

/** Refuse an output path that is one of the inputs (after resolving links): inputs are never overwritten. */
export function assertNotInput(output: string, inputs: string[]): void {
  const out = canonical(output);
  for (const input of inputs) {
    if (canonical(input) === out) {
      throw new VoiceswapError(`${output}: refusing to overwrite the input file; choose another output path`);
    }
  }
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
