import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FileError } from '../errors.js';
import { makeDirectory } from './mkdir.js';

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
  fsyncDirectory(dirname(target)); // the rename itself must survive a power cut
}

/**
 * Write `files` as the folder `dir`, atomically: into a fresh temporary sibling folder
 * (`.NAME.PID.TIME.tmp`, every file fsynced), then renamed into place, so a reader never
 * sees a half-written folder. No rename swaps two folders, so replacing one takes two:
 * the old folder steps aside (`.NAME.PID.TIME.old`), then the new one takes its name. A
 * failure in between puts the old one back; a crash in between leaves both under one
 * stamp, and recoverDirReplacement (run by the next write, load or training start)
 * finishes the swap. The caller decides whether an existing `dir` may be replaced.
 */
export function writeDirAtomic(dir: string, files: Array<[string, Uint8Array | string]>): void {
  const target = resolve(dir);
  const parent = dirname(target);
  recoverDirReplacement(target);
  makeDirectory(parent);
  const stamp = `${process.pid}.${Date.now()}`;
  const tmp = join(parent, `.${basename(target)}.${stamp}.tmp`);
  const old = join(parent, `.${basename(target)}.${stamp}.old`);
  mkdirSync(tmp);
  try {
    for (const [name, data] of files) writeFileAtomic(join(tmp, name), data);
    if (!existsSync(target)) {
      renameSync(tmp, target);
      fsyncDirectory(parent);
      return;
    }
    renameSync(target, old);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  // From here until the next rename succeeds, `old` and the complete `tmp` share the stamp.
  try {
    renameSync(tmp, target);
  } catch (err) {
    renameSync(old, target);
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fsyncDirectory(parent);
  rmSync(old, { recursive: true, force: true });
}

/**
 * writeDirAtomic into `dir`, which may be replaced only when it is empty or holds
 * `marker` (a directory this writer made before): anything else there is refused.
 */
export function replaceDirAtomic(dir: string, files: Array<[string, Uint8Array | string]>, guard: { marker: string; what: string }): void {
  recoverDirReplacement(dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new FileError(dir, 'exists and is not a directory');
    if (readdirSync(dir).length > 0 && !existsSync(join(dir, guard.marker))) {
      throw new FileError(dir, `exists and is not ${guard.what} (no ${guard.marker}); refusing to replace it`);
    }
  }
  writeDirAtomic(dir, files);
}

/** `.NAME.PID.TIME.tmp|old` (writeFileAtomic, writeDirAtomic) and `NAME.tmp-PID` (training samples). */
const TEMPORARY = /^\.(.+)\.(\d+)\.(\d+)\.(tmp|old)$|^(.+)\.tmp-(\d+)$/;

/**
 * Finish a replacement of `dir` that a crash interrupted between writeDirAtomic's two
 * renames: `dir` is missing while `.NAME.STAMP.old` is there. The `.tmp` of the same stamp
 * was complete before the old folder stepped aside, so it takes the name (else the old
 * folder goes back). Leaves a replacement by another live process alone. True if it acted.
 */
export function recoverDirReplacement(dir: string): boolean {
  const target = resolve(dir);
  const parent = dirname(target);
  if (existsSync(target) || !existsSync(parent)) return false;
  const name = basename(target);
  const olds = readdirSync(parent)
    .map((entry) => ({ entry, m: TEMPORARY.exec(entry) }))
    .filter(({ m }) => m !== null && m[1] === name && m[4] === 'old' && !ownedByOtherLiveProcess(Number(m[2])))
    .sort((x, y) => Number(y.m![3]) - Number(x.m![3])); // newest first
  if (olds.length === 0) return false;
  const { m } = olds[0];
  const tmp = join(parent, `.${name}.${m![2]}.${m![3]}.tmp`);
  renameSync(existsSync(tmp) ? tmp : join(parent, olds[0].entry), target);
  fsyncDirectory(parent);
  for (const { entry } of olds) rmSync(join(parent, entry), { recursive: true, force: true });
  return true;
}

/**
 * In folder `dir`: finish interrupted folder replacements, then delete the temporary files
 * and folders that crashed writers left (never those of another live process). Returns the
 * names removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return []; // a file in the way is its caller's error to report
  const stale = (entry: string): { target: string | null; pid: number } | null => {
    const m = TEMPORARY.exec(entry);
    if (m === null) return null;
    return m[1] !== undefined ? { target: m[4] === 'old' ? m[1] : null, pid: Number(m[2]) } : { target: null, pid: Number(m[6]) };
  };
  for (const entry of readdirSync(dir)) {
    const t = stale(entry);
    if (t?.target) recoverDirReplacement(join(dir, t.target));
  }
  const removed: string[] = [];
  for (const entry of readdirSync(dir)) {
    const t = stale(entry);
    if (t === null || ownedByOtherLiveProcess(t.pid)) continue;
    rmSync(join(dir, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

/**
 * Whether a temporary made by process `pid` may still be in use. This process writes its
 * temporaries synchronously, so none of its own is in use when anyone looks.
 */
function ownedByOtherLiveProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** fsync a folder, so renames into it are on disk; a no-op where folders cannot be fsynced. */
export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    closeSync(fd);
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
