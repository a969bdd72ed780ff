import { basename, extname, join } from 'node:path';

/** `dir/name.ext` -> `name{suffix}` in `outDir` (default: the current directory). */
export function derivedOutputPath(input: string, suffix: string, outDir = '.'): string {
  const stem = basename(input, extname(input));
  return join(outDir, `${stem}${suffix}`);
}
