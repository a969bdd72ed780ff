import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileError } from '../src/errors.js';
import { makeDirectory } from '../src/io/mkdir.js';

const root = mkdtempSync(join(tmpdir(), 'voiceswap-io-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The FileError `fn` throws (failing the test when it throws anything else or nothing). */
function fileError(fn: () => unknown): FileError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FileError);
    return err as FileError;
  }
  throw new Error('expected a FileError, nothing was thrown');
}

describe('makeDirectory', () => {
  it('creates missing parents one level at a time, and accepts an existing folder', () => {
    const deep = join(root, 'mk', 'a', 'b', 'c');
    makeDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeDirectory(deep);
    makeDirectory(join(root, 'mk'));
  });

  it('names the file in the way', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(fileError(() => makeDirectory(file)).message).toBe(`${file}: exists and is not a folder`);
    expect(fileError(() => makeDirectory(join(file, 'sub', 'dir'))).message).toBe(`${join(file, 'sub', 'dir')}: cannot create this folder: ${file} is a file`);
  });

  // Where mkdir says ENOENT although the parent exists, recursive mkdirSync never returns.
  it.skipIf(!existsSync('/proc/self'))('fails at once, with one line, where the file system refuses folders (/proc)', () => {
    expect(fileError(() => makeDirectory('/proc/voiceswap/x')).message).toBe('/proc/voiceswap/x: cannot create a folder in /proc (the file system does not allow it)');
  });
});
