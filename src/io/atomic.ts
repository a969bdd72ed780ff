import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FileError } from '../errors.js';

/**
 * Write `data` to `path` atomically: write a temp file in the same directory,
 * fsync it, then rename over the destination. A reader (or a crash) never sees a
 * half-written file.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * writeFileAtomic for a file the user named: a failure becomes a one-line FileError
 * naming the file and the reason.
 */
export function writeUserFileAtomic(path: string, data: Uint8Array | string): void {
  try {
    writeFileAtomic(path, data);
  } catch (err) {
    throw new FileError(path, describeWriteError(err));
  }
}

/** A one-line reason for a failed write (the problem half of a FileError). */
function describeWriteError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'cannot write: directory does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'cannot write: permission denied';
    case 'ENOSPC':
      return 'cannot write: no space left on device';
    case 'EISDIR':
      return 'cannot write: is a directory';
    default:
      return `cannot write (${code ?? (err instanceof Error ? err.message : String(err))})`;
  }
}
