import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  it.skipIf(!canCheckProc)('convert with several inputs into a folder under /proc fails at once', async () => {
    const r = await runCli(['convert', demoA, demoB, '-o', '/proc/voiceswap-test-dir', '--backend', 'wasm'], { timeoutMs: 60_000 });
    expectOneLineError(r, /\/proc\/voiceswap-test-dir: cannot create a folder in \/proc/);
  });

  it.skipIf(!canCheckProc)('train --out under /proc fails at once', async () => {
    const r = await runCli(['train', '--a', speakerA, '--b', speakerB, '--out', '/proc/voiceswap-test-run', '--backend', 'wasm'], { timeoutMs: 60_000 });
    expectOneLineError(r, /\/proc\/voiceswap-test-run: cannot create a folder in \/proc/);
  });
});

describe('outputs that cannot be written: one line, before any work', () => {
  it('spectrogram -o into a missing folder, onto a folder, into /proc; --npy into a missing folder', async () => {
    const dir = join(root, 'spectrogram-outputs');
    mkdirSync(join(dir, 'a-folder'), { recursive: true });
    const cases: [string[], RegExp][] = [
      [['-o', join(dir, 'missing', 'x.png')], /missing\/x\.png: cannot write: directory does not exist/],
      [['-o', join(dir, 'a-folder')], /a-folder: cannot write: is a directory/],
      [['-o', join(dir, 'x.png'), '--npy', join(dir, 'missing', 'x.npy')], /missing\/x\.npy: cannot write: directory does not exist/],
      [['-o', join(dir, 'x.png'), '--npy', join(dir, 'a-folder')], /a-folder: cannot write: is a directory/],
    ];
    if (canCheckProc) cases.push([['-o', '/proc/voiceswap-test.png'], /\/proc\/voiceswap-test\.png: cannot write: \/proc does not take new files/]);
    for (const [args, pattern] of cases) expectOneLineError(await runCli(['spectrogram', demoA, ...args]), pattern);
    expect(readdirSync(dir)).toEqual(['a-folder']); // no PNG when the .npy fails, no temporary files
  });

  it('convert --spectrogram where NAME.png is a folder fails before writing the WAV', async () => {
    const dir = join(root, 'png-is-folder');
    mkdirSync(join(dir, 'out.png'), { recursive: true });
    const r = await runCli(['convert', demoA, '-o', join(dir, 'out.wav'), '--spectrogram', '--backend', 'wasm']);
    expectOneLineError(r, /out\.png: cannot write: is a directory/);
    expect(readdirSync(dir)).toEqual(['out.png']);
  });

  it('convert with several inputs and -o naming an existing file', async () => {
    const file = join(root, 'existing-file');
    writeFileSync(file, 'keep me');
    expectOneLineError(await runCli(['convert', demoA, demoB, '-o', file, '--backend', 'wasm']), /existing-file: exists and is not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('train --out naming an existing file', async () => {
    const file = join(root, 'existing-run-file');
    writeFileSync(file, 'keep me');
    expectOneLineError(await runCli(['train', '--a', speakerA, '--b', speakerB, '--out', file, '--backend', 'wasm']), /existing-run-file: exists and is not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });
});

describe('training settings that cannot work', () => {
  it('train --a X --b X is an error, not a run that trains a voice into itself', async () => {
    const out = join(root, 'same-speaker-run');
    expectOneLineError(await runCli(['train', '--a', speakerA, '--b', speakerA, '--out', out, '--backend', 'wasm']), /--a and --b are the same folder/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('damaged run folders', () => {
  it('report on a losses.jsonl line that parses but is not a loss record names the file and line', async () => {
    const run = join(root, 'bad-losses');
    mkdirSync(run);
    writeFileSync(join(run, 'run.json'), JSON.stringify({ format: 'voiceswap-run', version: 1 }));
    const good = { iteration: 1, time: 0.5, gAdv: 1, cycle: 2, identity: null, gTotal: 3, dA: 0.5, dB: 0.5, lrG: 2e-4, lrD: 1e-4, identityWeight: 0 };
    writeFileSync(join(run, 'losses.jsonl'), `${JSON.stringify(good)}\n{"iteration":"x"}\n`);
    const r = await runCli(['report', run, '-o', join(root, 'bad-losses.html')]);
    expectOneLineError(r, /bad-losses\/losses\.jsonl: line 2 is not a loss record \("iteration" is not a whole number from 1\)/);
    expect(existsSync(join(root, 'bad-losses.html'))).toBe(false);
  });
});

describe('inputs are never overwritten, whatever output would replace them', () => {
  it('convert pic.png -o pic.wav --spectrogram refuses to replace the input pic.png (a WAV named .png)', async () => {
    const dir = join(root, 'png-input');
    mkdirSync(dir);
    const input = join(dir, 'pic.png');
    copyFileSync(demoA, input);
    const before = readFileSync(input);
    const r = await runCli(['convert', input, '-o', join(dir, 'pic.wav'), '--spectrogram', '--backend', 'wasm']);
    expectOneLineError(r, /pic\.png: refusing to overwrite input file/);
    expect(readFileSync(input).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['pic.png']);
  });

  it("convert never writes over its model's files", async () => {
    const model = join(root, 'model-copy');
    cpSync(join(REPO, 'models', 'alice-bob'), model, { recursive: true });
    const weights = readFileSync(join(model, 'weights.bin'));
    expectOneLineError(await runCli(['convert', demoA, '-o', join(model, 'weights.bin'), '--model', model, '--backend', 'wasm']), /weights\.bin: refusing to overwrite input file/);
    const curves = readFileSync(join(model, 'losses.png'));
    expectOneLineError(await runCli(['convert', demoA, '-o', join(model, 'losses.wav'), '--spectrogram', '--model', model, '--backend', 'wasm']), /losses\.png: refusing to overwrite input file/);
    expect(readFileSync(join(model, 'weights.bin')).equals(weights)).toBe(true);
    expect(readFileSync(join(model, 'losses.png')).equals(curves)).toBe(true);
    expect(existsSync(join(model, 'losses.wav'))).toBe(false);
  });

  it('spectrogram --npy naming the PNG output is refused (the PNG would replace the .npy)', async () => {
    const dir = join(root, 'npy-is-png');
    mkdirSync(dir);
    expectOneLineError(await runCli(['spectrogram', demoA, '-o', join(dir, 'x.png'), '--npy', join(dir, 'x.png')]), /x\.png: is also the PNG output/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
