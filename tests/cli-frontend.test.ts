import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWav } from '../src/audio/wav.js';
import { parseNpy } from '../src/io/npy.js';
import { errorLine, REPO, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'voiceswap-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sample = join(REPO, 'samples', 'alice', 'alice001.wav');
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('voiceswap CLI: front-end commands', () => {
  it('lists every command in --help, and each command has --help with examples', async () => {
    const top = await runCli(['--help']);
    expect(top.status).toBe(0);
    for (const c of ['spectrogram', 'resynth', 'train', 'convert', 'evaluate', 'bench']) expect(top.stdout).toContain(c);
    for (const c of ['spectrogram', 'resynth']) {
      const r = await runCli([c, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });

  it('spectrogram writes a PNG and a log-mel .npy that round-trips as input', async () => {
    const png = join(dir, 'a.png');
    const npy = join(dir, 'a.npy');
    const r = await runCli(['spectrogram', sample, '-o', png, '--npy', npy]);
    expect(r.status, r.stderr).toBe(0);
    expect(Array.from(readFileSync(png).subarray(0, 8))).toEqual(PNG_SIGNATURE);
    const arr = parseNpy(readFileSync(npy));
    expect(arr.shape[0]).toBe(80);
    expect(arr.shape[1]).toBe(1 + Math.floor(readWav(sample).samples.length / 256));
    const png2 = join(dir, 'from-npy.png');
    expect((await runCli(['spectrogram', npy, '-o', png2])).status).toBe(0);
    expect(existsSync(png2)).toBe(true);
    const linear = join(dir, 'linear.png');
    expect((await runCli(['spectrogram', sample, '--linear', '--db-range', '100', '-o', linear])).status).toBe(0);
    expect(existsSync(linear)).toBe(true);
  });

  it('resynth writes audio of the input length at 22.05 kHz', async () => {
    const out = join(dir, 'resynth.wav');
    const r = await runCli(['resynth', sample, '-o', out, '--iters', '8']);
    expect(r.status, r.stderr).toBe(0);
    const y = readWav(out);
    expect(y.sampleRate).toBe(22050);
    expect(y.samples.length).toBe(readWav(sample).samples.length);
    let energy = 0;
    for (const v of y.samples) energy += v * v;
    expect(Math.sqrt(energy / y.samples.length)).toBeGreaterThan(0.01);
  });

  it('bad input: one line naming the file and the problem, exit 1, no stack trace, nothing written', async () => {
    const notWav = join(dir, 'notes.wav');
    writeFileSync(notWav, 'this is not audio at all');
    const truncated = join(dir, 'truncated.wav');
    const bytes = readFileSync(sample);
    writeFileSync(truncated, bytes.subarray(0, 2000));
    const cases: [string[], RegExp][] = [
      [['spectrogram', notWav, '-o', join(dir, 'x.png')], /notes\.wav: .*RIFF/],
      [['resynth', truncated, '-o', join(dir, 'x.wav')], /truncated\.wav: .*(truncated|shorter)/],
      [['spectrogram', join(dir, 'missing.wav'), '-o', join(dir, 'y.png')], /missing\.wav: .*not found/],
      [['resynth', sample, '--iters', 'lots'], /--iters must be an integer/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(args);
      expect(r.status, args.join(' ')).not.toBe(0);
      const line = errorLine(r);
      expect(line.split('\n').length, line).toBe(1);
      expect(line).toMatch(pattern);
      expect(line).not.toMatch(/\bat .*\.js:\d+/);
    }
    expect(existsSync(join(dir, 'x.png'))).toBe(false);
    expect(existsSync(join(dir, 'x.wav'))).toBe(false);
  });

  it('never overwrites its input', async () => {
    const input = join(dir, 'input.wav');
    copyFileSync(sample, input);
    const before = readFileSync(input);
    const r = await runCli(['resynth', input, '-o', input]);
    expect(r.status).not.toBe(0);
    expect(errorLine(r)).toMatch(/refusing to overwrite input file/);
    expect(readFileSync(input).equals(before)).toBe(true);
  });
});
