import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
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
    throw new FileError(path, describeWriteError(err, path));
  }
}

/**
 * Refuse, before any work is done, an output file that cannot be written: a folder, or a
 * path whose folder does not exist. (The write itself still reports what only it can find.)
 */
export function assertWritablePath(path: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new FileError(path, 'cannot write: is a directory');
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new FileError(path, 'cannot write: directory does not exist');
  if (!statSync(dir).isDirectory()) throw new FileError(path, `cannot write: ${dir} is not a directory`);
}

/** A one-line reason for a failed write of `path` (the problem half of a FileError). */
function describeWriteError(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const dir = dirname(resolve(path));
  switch (code) {
    case 'ENOENT':
      // The temporary file could not be made: no folder, or one that takes no new files (/proc).
      return existsSync(dir) ? `cannot write: ${dir} does not take new files` : 'cannot write: directory does not exist';
    case 'ENOTDIR':
      return 'cannot write: a component of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'cannot write: permission denied';
    case 'EROFS':
      return 'cannot write: read-only file system';
    case 'ENOSPC':
      return 'cannot write: no space left on device';
    case 'EISDIR':
      return 'cannot write: is a directory';
    default:
      return `cannot write (${code ?? (err instanceof Error ? err.message : String(err))})`;
  }
}
