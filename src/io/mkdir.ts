import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FileError } from '../errors.js';

/**
 * Create the folder `path` and any missing parents, one level at a time, each tried once.
 *
 * Not `mkdirSync(path, { recursive: true })`: Node 20's recursive mkdir never returns where
 * mkdir fails with ENOENT although the parent exists (/proc, some FUSE mounts); it retries
 * the parent forever at 100% CPU, deaf to signals. Here every failure is a one-line
 * FileError naming `path` and the problem. An existing folder is fine; an existing file is not.
 */
export function makeDirectory(path: string): void {
  const target = resolve(path);
  const missing: string[] = [];
  for (let dir = target; ; dir = dirname(dir)) {
    const kind = pathKind(dir, path);
    if (kind === 'folder') break;
    if (kind === 'file') {
      throw new FileError(path, dir === target ? 'exists and is not a folder' : `cannot create this folder: ${dir} is a file`);
    }
    if (kind === 'missing') missing.push(dir);
    if (dirname(dir) === dir) break; // a missing root: mkdir below reports it
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && pathKind(dir, path) === 'folder') continue; // made meanwhile by someone else
      throw new FileError(path, describeMkdirError(code, dir));
    }
  }
}

/** 'blocked': a component above is missing or a file (found when walking further up). */
function pathKind(dir: string, asked: string): 'folder' | 'file' | 'missing' | 'blocked' {
  try {
    return statSync(dir).isDirectory() ? 'folder' : 'file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') return 'blocked';
    throw new FileError(asked, `cannot create this folder: ${dir}: ${code ?? String(err)}`);
  }
}

function describeMkdirError(code: string | undefined, dir: string): string {
  switch (code) {
    case 'ENOENT': // the parent exists (checked above), yet the file system refuses (/proc)
      return `cannot create a folder in ${dirname(dir)} (the file system does not allow it)`;
    case 'EACCES':
    case 'EPERM':
      return `cannot create folder ${dir}: permission denied`;
    case 'EROFS':
      return `cannot create folder ${dir}: read-only file system`;
    case 'ENOSPC':
      return `cannot create folder ${dir}: no space left on device`;
    case 'EEXIST':
      return `cannot create folder ${dir}: a file is in the way`;
    default:
      return `cannot create folder ${dir} (${code ?? 'unknown error'})`;
  }
}
