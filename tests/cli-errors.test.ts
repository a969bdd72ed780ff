import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorLine, REPO, runCli, timedOut, type CliResult } from './helpers/cli.js';

/**
 * Bad input and faults at the command line (issue 12): each case gives exactly one error
 * line naming the file and the problem, a non-zero exit, and no hang. Every test makes
 * what it needs in its own folder, so each runs alone with -t.
 */

const root = mkdtempSync(join(tmpdir(), 'voiceswap-cli-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const demoA = join(REPO, 'samples', 'demo', 'alice_demo1.wav');
const demoB = join(REPO, 'samples', 'demo', 'alice_demo2.wav');
const speakerA = join(REPO, 'samples', 'alice');
const speakerB = join(REPO, 'samples', 'bob');
const canCheckProc = existsSync('/proc/self');

/** The command failed with one error line matching `pattern` (and no stack trace), in time. */
function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(timedOut(r), 'the command hung and was killed').toBe(false);
  expect(r.status).toBe(1);
  const line = errorLine(r).split('\n').filter((l) => !l.startsWith('backend: '));
  expect(line.length, line.join('\n')).toBe(1);
  expect(line[0]).toMatch(/^voiceswap: error: /);
  expect(line[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('output folders that cannot be created', () => {
  // Node 20's recursive mkdirSync loops forever under /proc; a hang here is killed after 60 s.
  it.skipIf(!canCheckProc)('convert with several inputs into a folder under /proc fails at once', () => {
    const r = runCli(['convert', demoA, demoB, '-o', '/proc/voiceswap-test-dir', '--backend', 'wasm'], { timeoutMs: 60_000 });
    expectOneLineError(r, /\/proc\/voiceswap-test-dir: cannot create a folder in \/proc/);
  });

  it.skipIf(!canCheckProc)('train --out under /proc fails at once', () => {
    const r = runCli(['train', '--a', speakerA, '--b', speakerB, '--out', '/proc/voiceswap-test-run', '--backend', 'wasm'], { timeoutMs: 60_000 });
    expectOneLineError(r, /\/proc\/voiceswap-test-run: cannot create a folder in \/proc/);
  });
});
