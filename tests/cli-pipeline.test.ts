import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWav } from '../src/audio/wav.js';
import { largestFirst } from '../src/cli/convert-pool.js';
import { Progress } from '../src/cli/progress.js';
import { errorLine, REPO, runCli } from './helpers/cli.js';

/**
 * Issue 14: the CLI in pipelines and at scale. stdin/stdout WAVs through real sox, --json
 * lines, --jobs workers (same bytes as in-process, one broken file reported and skipped),
 * exit codes, --version, progress output when stderr is not a terminal.
 */

const root = mkdtempSync(join(tmpdir(), 'voiceswap-cli-pipeline-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const BIN = join(REPO, 'bin', 'voiceswap.js');
const demo1 = join(REPO, 'samples', 'demo', 'alice_demo1.wav');
const demo2 = join(REPO, 'samples', 'demo', 'alice_demo2.wav');
const SOX = ['/usr/bin/sox', '/usr/local/bin/sox'].find((p) => existsSync(p));
if (!SOX) console.warn('cli-pipeline: sox is not installed (apt-get install sox): the stdin/stdout pipeline test through sox is skipped');
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run a bash pipeline (pipefail: any stage's failure fails it). */
function bash(script: string): { status: number | null; stderr: string } {
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${script}`], { cwd: REPO, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr };
}

/** Largest absolute difference between two WAVs' samples (they must have the same length). */
function maxDifference(a: string, b: string): number {
  const x = readWav(a).samples;
  const y = readWav(b).samples;
  expect(x.length).toBe(y.length);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

describe('convert - -o -: a WAV through stdin and stdout', () => {
  const direct = join(root, 'direct.wav');

  it.skipIf(!SOX)('sox | voiceswap convert - -o - | sox gives the same audio as converting the file', async () => {
    const r = await runCli(['convert', demo1, '-o', direct]);
    expect(r.status, r.stderr).toBe(0);
    const piped = join(root, 'piped.wav');
    const p = bash(`${SOX} ${quote(demo1)} -t wav - | node ${quote(BIN)} convert - -o - | ${SOX} -t wav - ${quote(piped)}`);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/wrote <stdout>/); // messages on stderr, the WAV alone on stdout
    // Same samples through the pipe as from the file: equal within one 16-bit step (in fact identical).
    expect(maxDifference(piped, direct)).toBeLessThanOrEqual(1 / 32768);

    // A writer that cannot seek back leaves a placeholder length (sox: 0x7FFFF000 after a raw stage).
    const streamed = join(root, 'streamed.wav');
    const s = bash(
      `${SOX} ${quote(demo1)} -t raw - | ${SOX} -t raw -r 22050 -e signed -b 16 -c 1 - -t wav - 2>/dev/null | ` +
        `node ${quote(BIN)} convert - -o - | ${SOX} -t wav - ${quote(streamed)}`,
    );
    expect(s.status, s.stderr).toBe(0);
    expect(maxDifference(streamed, direct)).toBeLessThanOrEqual(1 / 32768);
  });

  it('a broken WAV on stdin is one error line naming <stdin>, exit 1; -o - with --json is a usage error, exit 2', async () => {
    const r = spawnSync(process.execPath, [BIN, 'convert', '-', '-o', join(root, 'never.wav')], { input: Buffer.from('RIFF\0\0\0\0WAVEjunk'), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(errorLine({ status: r.status, stdout: r.stdout, stderr: r.stderr })).toMatch(/^voiceswap: error: <stdin>: [^\n]+$/);
    expect(existsSync(join(root, 'never.wav'))).toBe(false);
    const u = await runCli(['convert', '-', '-o', '-', '--json']);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/-o - and --json both write to stdout/);
    expect(u.stdout).toBe('');
  });
});

describe('convert DIR --jobs N --json', () => {
  const dir = join(root, 'inputs');
  mkdirSync(dir);
  copyFileSync(demo1, join(dir, 'a1.wav'));
  copyFileSync(demo2, join(dir, 'a2.wav'));
  writeFileSync(join(dir, 'broken.wav'), Buffer.from('RIFF\x24\0\0\0WAVEdata\0\0\0\0', 'latin1'));

  const run = async (jobs: number) => {
    const out = join(root, `out-jobs${jobs}`);
    const r = await runCli(['convert', dir, '-o', out, '--jobs', String(jobs), '--json'], { timeoutMs: 180_000 });
    return { r, out };
  };

  it('2 workers write the same files as 1; the broken WAV is one error line, exit 1, the others written; JSON lines parse', async () => {
    const one = await run(1);
    const two = await run(2);
    for (const { r, out } of [one, two]) {
      expect(r.status, r.stderr).toBe(1);
      const errors = r.stderr.split('\n').filter((l) => l.includes('error'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^voiceswap: error: .*broken\.wav: /);
      expect(readdirSync(out).sort()).toEqual(['a1.a2b.wav', 'a2.a2b.wav']); // no temporaries, nothing for the broken one
      // stderr is a pipe here: plain progress lines, no carriage-return redraws, no ANSI escapes.
      expect(r.stderr).not.toMatch(/[\r\x1b]/);

      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(3);
      const failed = lines.filter((l) => 'error' in l);
      expect(failed).toHaveLength(1);
      expect(failed[0].input).toBe(join(dir, 'broken.wav'));
      for (const l of lines.filter((x) => !('error' in x))) {
        expect(Object.keys(l).sort()).toEqual(['audio_seconds', 'f0_median_in_hz', 'f0_median_out_hz', 'input', 'output', 'wall_seconds']);
        expect(l.audio_seconds as number).toBeGreaterThan(2);
        expect(l.wall_seconds as number).toBeGreaterThan(0);
        // alice (~170 Hz) in, bob's pitch out: bob's median F0 is about 100 Hz; within 3 semitones.
        expect(l.f0_median_in_hz as number).toBeGreaterThan(140);
        expect(Math.abs(12 * Math.log2((l.f0_median_out_hz as number) / 100))).toBeLessThan(3);
      }
    }
    for (const name of ['a1.a2b.wav', 'a2.a2b.wav']) {
      expect(readFileSync(join(two.out, name)).equals(readFileSync(join(one.out, name))), `${name} differs between --jobs 1 and 2`).toBe(true);
    }
  });
});

describe('the --jobs queue', () => {
  it('hands out the largest files first (a long file taken last leaves the other workers idle), unreadable ones before all', () => {
    const dir = join(root, 'queue');
    mkdirSync(dir);
    const sizes = [300, 5000, 100, 5000, 2000];
    const tasks = sizes.map((n, i) => {
      const input = join(dir, `f${i}.wav`);
      writeFileSync(input, Buffer.alloc(n));
      return { input, output: join(dir, `o${i}.wav`) };
    });
    tasks.push({ input: join(dir, 'missing.wav'), output: join(dir, 'o-missing.wav') });
    // Ties keep the folder's order.
    expect(largestFirst(tasks)).toEqual([5, 1, 3, 4, 0, 2]);
  });
});

describe('Ctrl-C during convert --jobs 2', () => {
  it('stops the workers, leaves no temporary files and exits 130', async () => {
    const dir = join(root, 'many');
    mkdirSync(dir);
    for (let i = 0; i < 8; i++) copyFileSync(demo1, join(dir, `a${i}.wav`));
    const out = join(root, 'many-out');
    const child = spawn(process.execPath, [BIN, 'convert', dir, '-o', out, '--jobs', '2'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!sent && /^convert /m.test(stderr)) {
          sent = true; // the first file is done: the workers are busy
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c) => {
        clearTimeout(killer);
        resolve(c);
      });
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/voiceswap: interrupted/);
    const left = readdirSync(out);
    expect(left.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(left.length).toBeLessThan(8);
  });
});

describe('exit codes and --version', () => {
  it('usage errors exit 2, bad input exits 1, help and version 0', async () => {
    expect((await runCli(['convert', demo1, '--no-such-option'])).status).toBe(2);
    expect((await runCli(['convert', demo1, '--jobs', '0'])).status).toBe(2);
    expect((await runCli(['convert'])).status).toBe(2); // missing argument
    const bad = await runCli(['convert', join(root, 'missing.wav')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^voiceswap: error: .*missing\.wav: file not found/m);
    expect((await runCli(['convert', '--help'])).status).toBe(0);
  });

  it('--version prints package.json version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('progress on a terminal with NO_COLOR', () => {
  it('redraws with carriage returns and spaces, no ANSI escapes; with escapes allowed it uses them', () => {
    const draw = (ansi: boolean): string => {
      let text = '';
      const stream = { isTTY: true, columns: 80, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
      const p = new Progress({ label: 'convert', total: 3, unit: 'file', stream, ansi });
      p.update(1);
      p.message('voiceswap: error: x.wav: broken');
      p.update(3);
      p.finish();
      return text;
    };
    const plain = draw(false);
    expect(plain).toContain('\r');
    expect(plain).not.toContain('\x1b');
    expect(plain).toContain('voiceswap: error: x.wav: broken\n');
    expect(draw(true)).toContain('\x1b[K');
  });
});
