import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { recoverDirReplacement, removeStaleTemporaries, writeDirAtomic, writeFileAtomic } from '../src/io/atomic.js';

/**
 * Fault injection for the atomic writes: node:fs is wrapped so that a test can make the
 * next write or rename fail, as a full disk or a crash would. A write that went straight
 * to its target (no temporary, no rename) leaves the target half-written or changed when
 * the failure strikes, and these tests fail.
 */
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const wrapped = {
    ...actual,
    renameSync: vi.fn(actual.renameSync),
    writeSync: vi.fn(actual.writeSync),
    openSync: vi.fn(actual.openSync),
    fsyncSync: vi.fn(actual.fsyncSync),
  };
  return { ...wrapped, default: wrapped };
});

const realFs = await vi.importActual<typeof import('node:fs')>('node:fs');
const renameSync = vi.mocked(fs.renameSync);
const writeSync = vi.mocked(fs.writeSync);
const openSync = vi.mocked(fs.openSync);
const fsyncSync = vi.mocked(fs.fsyncSync);

const root = mkdtempSync(join(tmpdir(), 'voiceswap-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  renameSync.mockReset().mockImplementation(realFs.renameSync);
  writeSync.mockReset().mockImplementation(realFs.writeSync as typeof fs.writeSync);
  openSync.mockReset().mockImplementation(realFs.openSync);
  fsyncSync.mockReset().mockImplementation(realFs.fsyncSync);
});

/** The renames and fsyncs `fn` makes, in order: 'rename DEST' and 'fsync PATH'. */
function syncEvents(fn: () => void): string[] {
  const events: string[] = [];
  const pathOf = new Map<number, string>();
  openSync.mockImplementation(((path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (realFs.openSync as (...a: unknown[]) => number)(path, ...rest);
    pathOf.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync);
  fsyncSync.mockImplementation((fd) => {
    events.push(`fsync ${pathOf.get(fd)}`);
    realFs.fsyncSync(fd);
  });
  renameSync.mockImplementation((from, to) => {
    events.push(`rename ${String(to)}`);
    realFs.renameSync(from, to);
  });
  fn();
  return events;
}

function freshDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

const failure = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

/** Fail the next writeSync after it has written part of its bytes (a disk filling up). */
function failMidWrite(): void {
  writeSync.mockImplementationOnce(((fd: number, buffer: Uint8Array, offset: number) => {
    realFs.writeSync(fd, buffer, offset, 3); // a few bytes land, then the disk is full
    throw failure('ENOSPC');
  }) as unknown as typeof fs.writeSync);
}

describe('writeFileAtomic under injected faults', () => {
  it('a write that fails midway leaves the old file whole and no temporary behind', () => {
    const dir = freshDir('file-midway');
    const target = join(dir, 'out.txt');
    writeFileSync(target, 'old contents');
    failMidWrite();
    expect(() => writeFileAtomic(target, 'new contents, longer')).toThrow(/ENOSPC/);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('a failure between write and rename leaves the old file whole and no temporary behind', () => {
    const dir = freshDir('file-rename');
    const target = join(dir, 'out.txt');
    writeFileSync(target, 'old contents');
    renameSync.mockImplementationOnce(() => {
      throw failure('EIO');
    });
    expect(() => writeFileAtomic(target, 'new contents')).toThrow(/EIO/);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('the target is never seen half-written: while bytes are written, it holds the old contents or nothing', () => {
    const dir = freshDir('file-watch');
    const target = join(dir, 'out.bin');
    const seen: string[] = [];
    writeSync.mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
      seen.push(existsSync(target) ? readFileSync(target, 'latin1') : '<none>');
      return (realFs.writeSync as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync);
    writeFileAtomic(target, 'first');
    writeFileAtomic(target, 'second');
    expect(seen).toEqual(['<none>', 'first']);
    expect(readFileSync(target, 'utf8')).toBe('second');
  });
});

describe('durability', () => {
  it('every rename into place is followed by an fsync of the folder that holds it', () => {
    const dir = freshDir('fsync');
    const file = join(dir, 'out.txt');
    const events = syncEvents(() => writeFileAtomic(file, 'x'));
    expect(events.at(-2)).toBe(`rename ${file}`);
    expect(events.at(-1)).toBe(`fsync ${dir}`);
    expect(events.some((e) => e.startsWith('fsync ') && e.includes('.out.txt.'))).toBe(true); // the data, before the rename

    const model = join(dir, 'model');
    for (const round of ['create', 'replace']) {
      const dirEvents = syncEvents(() => writeDirAtomic(model, [['a.bin', round]]));
      const last = dirEvents.lastIndexOf(`rename ${model}`);
      expect(last, round).toBeGreaterThan(0);
      expect(dirEvents.slice(last + 1), round).toContain(`fsync ${dir}`);
    }
  });
});

describe('writeDirAtomic under injected faults', () => {
  const files = (tag: string): Array<[string, string]> => [['weights.bin', `${tag} weights`], ['model.json', `${tag} json`]];
  const contents = (dir: string) => readdirSync(dir).sort().map((f) => `${f}=${readFileSync(join(dir, f), 'utf8')}`);

  it('a write that fails on the second file leaves the old folder whole and nothing else', () => {
    const parent = freshDir('dir-midway');
    const target = join(parent, 'model');
    writeDirAtomic(target, files('old'));
    writeSync.mockImplementationOnce(realFs.writeSync as typeof fs.writeSync); // the first file is written
    failMidWrite(); // the second is not
    expect(() => writeDirAtomic(target, files('new'))).toThrow(/ENOSPC/);
    expect(contents(target)).toEqual(['model.json=old json', 'weights.bin=old weights']);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('a failed rename into place puts the old folder back', () => {
    const parent = freshDir('dir-rename');
    const target = join(parent, 'model');
    writeDirAtomic(target, files('old'));
    // Renames: the two files into the temporary folder, the old folder aside, then the new one into place.
    renameSync.mockImplementationOnce(realFs.renameSync).mockImplementationOnce(realFs.renameSync).mockImplementationOnce(realFs.renameSync);
    renameSync.mockImplementationOnce(() => {
      throw failure('EIO');
    });
    expect(() => writeDirAtomic(target, files('new'))).toThrow(/EIO/);
    expect(contents(target)).toEqual(['model.json=old json', 'weights.bin=old weights']);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('a crash between the two renames of a replacement is finished by the next reader or writer', () => {
    const parent = freshDir('dir-crash');
    const target = join(parent, 'model');
    writeDirAtomic(target, files('old'));
    // The process "dies" after the old folder stepped aside: no later rename happens.
    let renames = 0;
    renameSync.mockImplementation((from, to) => {
      if (++renames > 3) throw failure('ECRASH');
      realFs.renameSync(from, to);
    });
    expect(() => writeDirAtomic(target, files('new'))).toThrow(/ECRASH/);
    renameSync.mockImplementation(realFs.renameSync);
    expect(existsSync(target)).toBe(false); // the moment the crash froze
    expect(recoverDirReplacement(target)).toBe(true);
    expect(contents(target)).toEqual(['model.json=new json', 'weights.bin=new weights']);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('removeStaleTemporaries finishes interrupted replacements and deletes what dead writers left', () => {
    const parent = freshDir('stale');
    mkdirSync(join(parent, 'iter-00000004'));
    // A dead writer (pid 999999999 cannot exist) left a temporary folder, a temporary file and a samples folder.
    mkdirSync(join(parent, '.iter-00000008.999999999.1700000000000.tmp'));
    writeFileSync(join(parent, '.losses.png.999999999.1700000000000.tmp'), 'x');
    mkdirSync(join(parent, 'iter-00000008.tmp-999999999'));
    // ...and was replacing iter-00000006 when it died.
    mkdirSync(join(parent, '.iter-00000006.999999999.1700000000001.old'));
    mkdirSync(join(parent, '.iter-00000006.999999999.1700000000001.tmp'));
    writeFileSync(join(parent, '.iter-00000006.999999999.1700000000001.tmp', 'model.json'), 'new');
    // A live writer's temporary (this test's parent process) stays.
    const live = `.iter-00000010.${process.ppid}.1700000000002.tmp`;
    mkdirSync(join(parent, live));
    removeStaleTemporaries(parent);
    expect(readdirSync(parent).sort()).toEqual([live, 'iter-00000004', 'iter-00000006'].sort());
    expect(readFileSync(join(parent, 'iter-00000006', 'model.json'), 'utf8')).toBe('new');
  });
});
