import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileError } from '../errors.js';

export interface ListWavOptions {
  /** Also every .wav in folders under `dir` (default false: only the files directly inside). */
  recursive?: boolean;
  /** 'paths' (default): `dir` joined with each name; 'names': the names relative to `dir`. */
  as?: 'paths' | 'names';
  /** A folder without any .wav file is an error (default false: an empty list). */
  required?: boolean;
  /** 'code-unit' (default): plain string order; 'natural': numbers by value (dev2 before dev10). */
  order?: 'code-unit' | 'natural';
}

const WAV_EXTENSION = /\.wav$/i;

/**
 * The .wav files (any case of the extension) in `dir`, sorted. A missing folder, a path
 * that is not a folder or one that cannot be read is a FileError.
 */
export function listWavFiles(dir: string, options: ListWavOptions = {}): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new FileError(dir, 'not a folder');
    entries = options.recursive ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : readdirSync(dir);
  } catch (err) {
    if (err instanceof FileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileError(dir, code === 'ENOENT' ? 'no such directory' : `cannot read folder (${code ?? String(err)})`);
  }
  const names = entries.filter((name) => WAV_EXTENSION.test(name) && statSync(join(dir, name)).isFile());
  names.sort(options.order === 'natural' ? (a, b) => a.localeCompare(b, 'en', { numeric: true }) : undefined);
  if (options.required && names.length === 0) throw new FileError(dir, 'contains no .wav files');
  return options.as === 'names' ? names : names.map((name) => join(dir, name));
}
