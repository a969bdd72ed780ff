/**
 * WAV files on disk (Node only): readWav and writeWav over the byte codec in wav-codec.ts,
 * which the browser page shares.
 */
import { readFileSync } from 'node:fs';
import { FileError } from '../errors.js';
import { writeUserFileAtomic } from '../io/atomic.js';
import { assertNotInput } from '../io/protect.js';
import { decodeWav, encodeWav, type DecodedWav, type WavEncoding } from './wav-codec.js';

export { decodeWav, encodeWav, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, MAX_CHANNELS, type DecodedWav, type WavEncoding } from './wav-codec.js';

export interface WriteWavOptions {
  /** Sample encoding of the written file (default 'pcm16'). */
  encoding?: WavEncoding;
  /** Paths that must never be overwritten (the command's inputs); compared by real path. */
  protect?: string[];
}

/** Describe a file-system error in a few words ("file not found", "permission denied"). */
function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a WAV file';
    default:
      return `cannot read file (${code ?? (err instanceof Error ? err.message : String(err))})`;
  }
}

/** Read and decode a WAV file (see decodeWav); I/O problems become a FileError. */
export function readWav(path: string): DecodedWav {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new FileError(path, describeFsError(err));
  }
  return decodeWav(bytes, path);
}

/**
 * Write mono `samples` to `path` as a WAV (see encodeWav), atomically. Refuses with a
 * FileError to write over any path in `options.protect` (compared by real path, so a
 * symlink or `./` spelling of an input is caught too).
 */
export function writeWav(path: string, samples: Float32Array, sampleRate: number, options: WriteWavOptions = {}): void {
  assertNotInput(path, options.protect ?? []);
  const bytes = encodeWav(samples, sampleRate, options.encoding ?? 'pcm16');
  writeUserFileAtomic(path, bytes);
}
