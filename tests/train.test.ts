import { spectralEnvelope } from '../src/audio/envelope.js';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG } from '../src/audio/config.js';
import { readWav } from '../src/audio/wav.js';
import { initBackend } from '../src/backend/index.js';
import { OUTPUT_PEAK } from '../src/convert/convert-audio.js';
import { convertLogMel } from '../src/convert/convert-logmel.js';
import { loadVoiceModel } from '../src/convert/voice-model.js';
import { VoiceswapError } from '../src/errors.js';
import { computeSpeakerStats, normalizeLogMel, voicedFrameMask } from '../src/model/normalization.js';
import { customConfig, DEFAULT_N_MELS, DEFAULT_RES_BLOCKS } from '../src/model/presets.js';
import { frameSecondMoments, multiply } from '../src/model/transport.js';
import { loadSpeakerCorpus } from '../src/train/corpus.js';
import { readLossRecords } from '../src/run/loss-log.js';
import { train, type TrainOptions } from '../src/train/train.js';
import { REPO, errorLine, runCli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'voiceswap-train-'));
const dirA = join(root, 'alice');
const dirB = join(root, 'bob');
const BIN = join(REPO, 'bin', 'voiceswap.js');
const quiet = { log: () => {}, warn: () => {} };

/** A small speaker folder: `count` sample files (about 3 s each), in a nested folder to check recursion. */
function speakerDir(dir: string, speaker: string, count: number): void {
  mkdirSync(join(dir, 'nested'), { recursive: true });
  const files = readdirSync(join(REPO, 'samples', speaker)).filter((f) => f.endsWith('.wav')).slice(0, count);
  files.forEach((f, i) => copyFileSync(join(REPO, 'samples', speaker, f), join(dir, i % 2 ? 'nested' : '.', f)));
}

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    dirA,
    dirB,
    out,
    model: customConfig(1 / 32),
    iterations: 6,
    batch: 1,
    frames: 16,
    seed: 7,
    resume: false,
    sampleEvery: 6,
    checkpointEvery: 3,
    keep: 3,
    ...quiet,
    ...extra,
  };
}

let finished: Promise<string> | undefined;

/**
 * A finished 6-iteration run (checkpoints at 3 and 6) for tests that only read it (or copy
 * it): trained by whichever of them runs first, so each also runs alone (-t).
 */
function finishedRun(): Promise<string> {
  finished ??= (async () => {
    const out = join(root, 'finished');
    await train(options(out));
    return out;
  })();
  return finished;
}

beforeAll(async () => {
  speakerDir(dirA, 'alice', 8);
  speakerDir(dirB, 'bob', 8);
  await initBackend('wasm');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('train (library)', () => {
  it('runs end to end: checkpoints, an export that converts, samples, losses, no tensor growth', async () => {
    const out = join(root, 'e2e');
    const tensorsAt: number[] = [];
    const result = await train(options(out, { onIteration: () => tensorsAt.push(tf.memory().numTensors) }));
    expect(result.iteration).toBe(6);
    expect(result.interrupted).toBe(false);
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['iter-00000003', 'iter-00000006']);
    const sampleFiles = readdirSync(join(out, 'samples', 'iter-00000006'));
    expect(sampleFiles.filter((f) => f.endsWith('.png')).length).toBe(4); // 2 held-out clips per speaker
    expect(sampleFiles.filter((f) => f.endsWith('.wav')).length).toBe(8); // converted + reconstructed
    // Peak-limited like `voiceswap convert`, not clipped at full scale by the WAV writer.
    for (const f of sampleFiles.filter((f) => f.endsWith('.wav'))) {
      expect(Math.max(...readWav(join(out, 'samples', 'iter-00000006', f)).samples.map(Math.abs))).toBeLessThanOrEqual(OUTPUT_PEAK + 1 / 32768);
    }
    const records = readLossRecords(join(out, 'losses.jsonl'));
    expect(records.map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records[0].identityWeight).toBe(5);
    expect(records[5].identityWeight).toBe(0); // identity loss only for the first half
    expect(existsSync(join(out, 'losses.png'))).toBe(true);
    expect(new Set(tensorsAt.slice(1)).size).toBe(1); // the same tensor count after every iteration

    // The export converts, and de-normalises with the TARGET speaker's statistics.
    const model = loadVoiceModel(out);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.heldOut.a.length).toBe(2);
    // The statistics are over the training files' spectral envelopes (what the default
    // generators map) with their silence left out (frames 40 dB below each utterance's
    // loudest); with the silence in, the means are far lower.
    expect(model.config.domain).toBe('envelope');
    const utterances = loadSpeakerCorpus(dirA, model.info.features, { exclude: new Set(run.heldOut.a), warn: () => {} }).utterances.map((u) => spectralEnvelope(u.logMel));
    const meanGap = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + Math.abs(v - y[i]!), 0) / x.length;
    expect(meanGap(model.stats.a.mean, computeSpeakerStats(utterances, { silenceDb: 40 }).mean)).toBeLessThan(1e-4);
    expect(meanGap(model.stats.a.mean, computeSpeakerStats(utterances, { silenceDb: 0 }).mean)).toBeGreaterThan(0.1);
    // Input: every frame is the source speaker's mean log-mel, i.e. exactly 0 once
    // normalised with the SOURCE statistics (whatever the skip path adds is then 0 too).
    // An untrained generator maps 0 to something small, so the output must sit near the
    // TARGET speaker's means; de-normalising with the source's would put it near the source's.
    const frames = 40;
    const meanFrames = (mean: Float32Array) => {
      const data = new Float32Array(80 * frames);
      for (let r = 0; r < 80; r++) data.fill(mean[r]!, r * frames, (r + 1) * frames);
      return { data, rows: 80, frames };
    };
    const a2b = convertLogMel(model, meanFrames(model.stats.a.mean), 'a2b');
    const b2a = convertLogMel(model, meanFrames(model.stats.b.mean), 'b2a');
    expect(a2b.frames).toBe(frames);
    // Per-bin mean of the output over time follows the target's statistics: compare the
    // spread of the a2b output around B's means with its spread around A's means.
    const meanDistance = (spec: typeof a2b, mean: Float32Array) => {
      let d = 0;
      for (let r = 0; r < 80; r++) {
        let m = 0;
        for (let t = 0; t < frames; t++) m += spec.data[r * frames + t] / frames;
        d += Math.abs(m - mean[r]);
      }
      return d / 80;
    };
    expect(meanDistance(a2b, model.stats.b.mean)).toBeLessThan(meanDistance(a2b, model.stats.a.mean));
    expect(meanDistance(b2a, model.stats.a.mean)).toBeLessThan(meanDistance(b2a, model.stats.b.mean));
  });

  it('a resumed run reproduces the losses of an uninterrupted one exactly', async () => {
    const straight = join(root, 'straight');
    await train(options(straight));
    const split = join(root, 'split');
    let seen = 0;
    const first = await train(options(split, { onIteration: () => seen++, shouldStop: () => seen >= 4 }));
    expect(first.interrupted).toBe(true);
    expect(first.iteration).toBe(4);
    const second = await train(options(split, { resume: true }));
    expect(second.iteration).toBe(6);
    const a = readLossRecords(join(straight, 'losses.jsonl'));
    const b = readLossRecords(join(split, 'losses.jsonl'));
    expect(b.map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 0; i < 6; i++) {
      for (const key of ['gAdv', 'cycle', 'dA', 'dB', 'gTotal'] as const) expect(b[i][key]).toBe(a[i][key]);
    }
  });

  it('with the transport skip: exports maps that carry each speaker frame moments onto the other speaker, and resumes exactly', async () => {
    const model = customConfig(1 / 32, DEFAULT_N_MELS, DEFAULT_RES_BLOCKS, 'transport', 'envelope');
    const straight = join(root, 'transport-straight');
    await train(options(straight, { model }));
    const split = join(root, 'transport-split');
    let seen = 0;
    await train(options(split, { model, onIteration: () => seen++, shouldStop: () => seen >= 4 }));
    await train(options(split, { model, resume: true }));
    const a = readLossRecords(join(straight, 'losses.jsonl'));
    const b = readLossRecords(join(split, 'losses.jsonl'));
    for (let i = 0; i < 6; i++) for (const key of ['gAdv', 'cycle', 'dA', 'dB', 'gTotal'] as const) expect(b[i][key]).toBe(a[i][key]);

    const voice = loadVoiceModel(straight);
    const t = voice.transport!;
    const n = DEFAULT_N_MELS;
    // The maps' frames: each speaker's normalised training envelopes, silence left out as the statistics leave it out.
    const run = JSON.parse(readFileSync(join(straight, 'run.json'), 'utf8'));
    const moments = (dir: string, heldOut: string[], stats: typeof voice.stats.a) => {
      const envelopes = loadSpeakerCorpus(dir, voice.info.features, { exclude: new Set(heldOut), warn: () => {} }).utterances.map((u) => spectralEnvelope(u.logMel));
      return frameSecondMoments(envelopes.map((e) => normalizeLogMel(e, stats)), envelopes.map((e) => voicedFrameMask(e, 40)));
    };
    const ma = moments(dirA, run.heldOut.a, voice.stats.a);
    const mb = moments(dirB, run.heldOut.b, voice.stats.b);
    const gap = (x: Float64Array, y: Float64Array) => Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0));
    const pushed = multiply(multiply(Float64Array.from(t.a2b), ma, n), Float64Array.from(t.a2b), n);
    expect(gap(pushed, mb)).toBeLessThan(0.01 * gap(ma, mb)); // a2b takes A's moments to B's, not the other way
    const back = multiply(Float64Array.from(t.b2a), Float64Array.from(t.a2b), n);
    expect(gap(back, Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)))).toBeLessThan(1e-3);

    // A model whose maps are lost is refused in one line naming its model.json.
    const damaged = join(root, 'transport-damaged');
    cpSync(join(straight, 'export', 'iter-00000006'), damaged, { recursive: true });
    const json = JSON.parse(readFileSync(join(damaged, 'model.json'), 'utf8'));
    delete json.extra.transport;
    writeFileSync(join(damaged, 'model.json'), JSON.stringify(json));
    expect(() => loadVoiceModel(damaged)).toThrow(/model\.json: the transport skip's maps are missing or damaged/);
  });

  it('refuses a resume with another model size, and a fresh start over an existing run', async () => {
    const out = await finishedRun();
    await expect(train(options(out, { resume: true, model: customConfig(1 / 16) }))).rejects.toThrow(/does not match this command.*model/);
    await expect(train(options(out))).rejects.toThrow(/already holds a training run; add --resume/);
    await expect(train(options(join(root, 'nothing-here'), { resume: true }))).rejects.toThrow(/no checkpoint to resume from/);
  });

  it('skips a damaged newest checkpoint with a warning and resumes from the one before', async () => {
    const out = join(root, 'damaged');
    cpSync(await finishedRun(), out, { recursive: true });
    writeFileSync(join(out, 'checkpoints', 'iter-00000006', 'weights.bin'), 'garbage');
    const warnings: string[] = [];
    const r = await train(options(out, { resume: true, iterations: 6, warn: (m) => warnings.push(m) }));
    expect(warnings.some((w) => w.includes('iter-00000006'))).toBe(true);
    expect(r.iteration).toBe(6);
  });

  it('a failed start leaves nothing behind: no folder it created, nothing in a folder that was there', async () => {
    const short = join(root, 'short-for-failed-start');
    speakerDir(short, 'alice', 1); // one 3 s file: too little to train
    const out = join(root, 'failed-start');
    await expect(train(options(out, { dirA: short }))).rejects.toThrow(/not enough audio to train/);
    expect(existsSync(out)).toBe(false);
    const existing = join(root, 'failed-start-existing');
    mkdirSync(existing);
    writeFileSync(join(existing, 'notes.txt'), 'mine');
    await expect(train(options(existing, { dirA: short }))).rejects.toThrow(/not enough audio to train/);
    expect(readdirSync(existing)).toEqual(['notes.txt']);
    // ...so the same command, with usable data, just starts.
    expect((await train(options(out, { iterations: 1, checkpointEvery: 1, sampleEvery: 100 }))).iteration).toBe(1);
  });

  it('refuses one folder for both speakers, and a run folder inside a data folder, before writing anything', async () => {
    const out = join(root, 'same-folder');
    await expect(train(options(out, { dirB: dirA }))).rejects.toThrow(/--a and --b are the same folder/);
    await expect(train(options(out, { dirB: join(dirA, 'nested') }))).rejects.toThrow(/--b .*nested lies inside --a/);
    await expect(train(options(join(dirB, 'run')))).rejects.toThrow(/--out .*run lies inside the data folder --b/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dirB, 'run'))).toBe(false);
  });

  it('resuming with another length keeps the saved loss schedule, says what changed and keeps run.json and the checkpoint in agreement', async () => {
    const out = join(root, 'longer');
    const schedule = { cycleWeight: 7, identityWeight: 2, cycleNoise: 0.1 };
    await train(options(out, { iterations: 4, checkpointEvery: 2, sampleEvery: 100, schedule }));
    const logged: string[] = [];
    const r = await train(options(out, { resume: true, iterations: 6, checkpointEvery: 2, sampleEvery: 100, log: (m) => logged.push(m) }));
    expect(r.iteration).toBe(6);
    expect(logged.join('\n')).toContain('iterations 4 -> 6, decayStart 2 -> 3, identityUntil 2 -> 3');
    const runJson = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(runJson.schedule).toMatchObject({ total: 6, decayStart: 3, identityUntil: 3, ...schedule });
    const checkpoint = JSON.parse(readFileSync(join(out, 'checkpoints', 'iter-00000006', 'model.json'), 'utf8'));
    expect(checkpoint.extra.run).toEqual(runJson);
  });

  it('removes the temporary folders a crash left in the run on its next start', async () => {
    const out = join(root, 'leftovers');
    await train(options(out, { iterations: 2, checkpointEvery: 2, sampleEvery: 100 }));
    // What a writer killed mid-save leaves (pid 999999999 cannot exist).
    const leftovers = [
      join(out, 'checkpoints', '.iter-00000004.999999999.1700000000000.tmp'),
      join(out, 'export', '.iter-00000004.999999999.1700000000000.tmp'),
      join(out, 'samples', 'iter-00000004.tmp-999999999'),
    ];
    for (const dir of leftovers) mkdirSync(dir, { recursive: true });
    writeFileSync(join(out, '.losses.png.999999999.1700000000000.tmp'), 'half a png');
    const logged: string[] = [];
    await train(options(out, { resume: true, iterations: 3, checkpointEvery: 3, sampleEvery: 100, log: (m) => logged.push(m) }));
    for (const dir of leftovers) expect(existsSync(dir), dir).toBe(false);
    expect(existsSync(join(out, '.losses.png.999999999.1700000000000.tmp'))).toBe(false);
    expect(logged.join('\n')).toContain('removed 4 temporary file(s) left by an interrupted run');
  });

  // /proc/self is a folder that takes no new files: every cache write fails there.
  it.skipIf(!existsSync('/proc/self'))('a feature cache that cannot be written costs time, not recordings', () => {
    const warnings: string[] = [];
    const corpus = loadSpeakerCorpus(dirA, DEFAULT_FEATURE_CONFIG, { cacheDir: '/proc/self', warn: (m) => warnings.push(m) });
    expect(corpus.skipped).toEqual([]);
    expect(corpus.utterances.length).toBe(8);
    expect(warnings.filter((w) => w.includes('skipping'))).toEqual([]);
  });

  it('reports data problems clearly', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'broken.wav'), 'not a wav');
    await expect(train(options(join(root, 'o1'), { dirA: empty }))).rejects.toThrow(VoiceswapError);
    await expect(train(options(join(root, 'o2'), { dirA: empty }))).rejects.toThrow(/not enough audio to train: found 0 usable WAV file\(s\).*1 skipped.*need at least 10 s/);
    const short = join(root, 'short');
    speakerDir(short, 'alice', 2);
    await expect(train(options(join(root, 'o3'), { dirB: short }))).rejects.toThrow(/short: not enough audio.*found 2 usable/);
    await expect(train(options(join(root, 'o4'), { dirA: join(root, 'missing') }))).rejects.toThrow(/missing: cannot read folder/);
  });
});

/** Start `voiceswap train` as a child process. */
function startCli(out: string, extra: string[] = []) {
  const args = [BIN, 'train', '--a', dirA, '--b', dirB, '--out', out, '--scale', '0.03125', '--frames', '16', '--backend', 'wasm', ...extra];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, stderr: () => stderr };
}

async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const lossLines = (out: string) => (existsSync(join(out, 'losses.jsonl')) ? readFileSync(join(out, 'losses.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0);

describe('train (CLI process)', () => {
  it('Ctrl-C finishes the step, writes a checkpoint, says how to resume and exits 130', async () => {
    const out = join(root, 'sigint');
    const run = startCli(out, ['--iterations', '100000', '--checkpoint-every', '100000', '--sample-every', '100000']);
    await waitFor(() => lossLines(out) >= 2);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const [ckpt] = readdirSync(join(out, 'checkpoints'));
    const iteration = Number(ckpt.slice(5));
    expect(iteration).toBeGreaterThanOrEqual(2);
    expect(lossLines(out)).toBe(iteration);
    expect(run.stderr()).toContain('--resume');
  });

  it('the "continue with" line after Ctrl-C continues the same run: same model, crops and length', async () => {
    const out = join(root, 'sigint-continue');
    const run = startCli(out, ['--iterations', '8', '--checkpoint-every', '100', '--sample-every', '100', '--cycle-weight', '7']);
    await waitFor(() => lossLines(out) >= 2);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const hint = /continue with: voiceswap (.+?)(?: {3}\(|$)/m.exec(run.stderr())?.[1];
    expect(hint, run.stderr()).toBeDefined();
    const r = await runCli([...hint!.split(' '), '--backend', 'wasm']);
    expect(r.status, errorLine(r)).toBe(0);
    expect(r.stderr).toMatch(/done: 8 iterations/);
    const settings = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(settings).toMatchObject({ frames: 16, model: { scale: 0.03125 }, schedule: { total: 8, cycleWeight: 7 } });
  });

  /** A CLI run killed (kill -9) after two iterations, before its first checkpoint. */
  async function killedBeforeFirstCheckpoint(out: string): Promise<void> {
    const run = startCli(out, ['--iterations', '100000', '--checkpoint-every', '100000', '--sample-every', '100000']);
    await waitFor(() => lossLines(out) >= 2);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(existsSync(join(out, 'run.json'))).toBe(true);
    expect(existsSync(join(out, 'checkpoints')) ? readdirSync(join(out, 'checkpoints')) : []).toEqual([]);
  }

  it('a run killed before its first checkpoint starts again with the same command', async () => {
    const out = join(root, 'killed-early-restart');
    await killedBeforeFirstCheckpoint(out);
    const r = await runCli(['train', '--a', dirA, '--b', dirB, '--out', out, '--scale', '0.03125', '--frames', '16', '--backend', 'wasm', '--iterations', '3', '--checkpoint-every', '3', '--sample-every', '100']);
    expect(r.status, errorLine(r)).toBe(0);
    expect(r.stderr).toContain('stopped before its first checkpoint; starting it again from iteration 0');
    expect(readLossRecords(join(out, 'losses.jsonl')).map((x) => x.iteration)).toEqual([1, 2, 3]);
  });

  it('a run killed before its first checkpoint also starts again with --resume (its run.json settings)', async () => {
    const out = join(root, 'killed-early-resume');
    await killedBeforeFirstCheckpoint(out);
    const r = await runCli(['train', '--out', out, '--resume', '--iterations', '3', '--checkpoint-every', '3', '--backend', 'wasm']);
    expect(r.status, errorLine(r)).toBe(0);
    expect(readLossRecords(join(out, 'losses.jsonl')).map((x) => x.iteration)).toEqual([1, 2, 3]);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'))).toMatchObject({ frames: 16, model: { scale: 0.03125 } });
  });

  it('kill -9 loses at most the iterations since the last checkpoint, and --resume continues', async () => {
    const out = join(root, 'sigkill');
    const run = startCli(out, ['--iterations', '100000', '--checkpoint-every', '2', '--sample-every', '100000']);
    const checkpoints = () => (existsSync(join(out, 'checkpoints')) ? readdirSync(join(out, 'checkpoints')).filter((n) => /^iter-\d+$/.test(n)) : []);
    await waitFor(() => checkpoints().length >= 2);
    run.child.kill('SIGKILL');
    await run.exited;
    const newest = checkpoints().sort().pop()!;
    const saved = Number(newest.slice(5));
    expect(saved).toBeGreaterThanOrEqual(4);
    const target = saved + 2;
    const r = await runCli(['train', '--a', dirA, '--b', dirB, '--out', out, '--scale', '0.03125', '--frames', '16', '--backend', 'wasm', '--iterations', String(target), '--checkpoint-every', '2', '--sample-every', '100000', '--resume']);
    expect(r.status, errorLine(r)).toBe(0);
    expect(r.stderr).toContain(`resuming ${out} from iteration ${saved}`);
    const records = readLossRecords(join(out, 'losses.jsonl'));
    expect(records.map((x) => x.iteration)).toEqual(Array.from({ length: target }, (_, i) => i + 1));
  });
});
