import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spectrogram } from '../src/audio/config.js';
import { logMelSpectrogram } from '../src/audio/features.js';
import { DEFAULT_BLOCK_FRAMES, logMelToAudio } from '../src/audio/griffinlim.js';
import { readWav, writeWav } from '../src/audio/wav.js';
import { initBackend } from '../src/backend/index.js';
import { convertAudio, limitPeak, OUTPUT_PEAK, type ConvertOptions } from '../src/convert/convert-audio.js';
import { convertFile } from '../src/convert/convert-file.js';
import { convertInChunks, convertLogMel, DEFAULT_CHUNKING, statsOnlyLogMel } from '../src/convert/convert-logmel.js';
import { defaultModelDir } from '../src/convert/shipped-model.js';
import { inputVoiceStats } from '../src/convert/input-stats.js';
import { disposeVoiceModel, loadVoiceModel, type VoiceModel } from '../src/convert/voice-model.js';
import { customConfig } from '../src/model/presets.js';
import { train } from '../src/train/train.js';
import { errorLine, REPO, runCli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'voiceswap-convert-'));
let modelDir = '';
let model: VoiceModel;

beforeAll(async () => {
  await initBackend('wasm');
  for (const speaker of ['alice', 'bob']) {
    mkdirSync(join(root, speaker));
    for (const f of readdirSync(join(REPO, 'samples', speaker)).filter((f) => f.endsWith('.wav')).slice(0, 6)) {
      copyFileSync(join(REPO, 'samples', speaker, f), join(root, speaker, f));
    }
  }
  const run = join(root, 'run');
  const r = await train({
    dirA: join(root, 'alice'), dirB: join(root, 'bob'), out: run, model: customConfig(1 / 32), iterations: 2, batch: 1, frames: 16,
    seed: 1, resume: false, sampleEvery: 100, checkpointEvery: 100, keep: 1, log: () => {}, warn: () => {},
  });
  modelDir = r.exportDir;
  model = loadVoiceModel(modelDir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('convert', () => {
  it('the stats-only baseline maps each bin from the source statistics to the target statistics', () => {
    const input = logMelSpectrogram(readWav(join(REPO, 'samples', 'demo', 'alice_demo1.wav')).samples, model.info.features);
    for (const [direction, src, tgt] of [['a2b', model.stats.a, model.stats.b], ['b2a', model.stats.b, model.stats.a]] as const) {
      const out = statsOnlyLogMel(model, input, direction);
      expect([out.rows, out.frames]).toEqual([input.rows, input.frames]);
      for (const [r, t] of [[0, 0], [10, 5], [79, input.frames - 1]]) {
        const i = r * input.frames + t;
        const expected = ((input.data[i] - src.mean[r]) / src.std[r]) * tgt.std[r] + tgt.mean[r];
        expect(out.data[i]).toBeCloseTo(expected, 4);
      }
    }
    // The two speakers' statistics differ, so the directions differ.
    expect(statsOnlyLogMel(model, input, 'a2b').data[0]).not.toBeCloseTo(statsOnlyLogMel(model, input, 'b2a').data[0], 3);
  });

  /** The output of converting `input`: at the model rate, as long as the input, not silent, not the input. */
  function expectConvertedSpeech(input: string, out: string): void {
    const x = readWav(input);
    const y = readWav(out);
    expect(y.sampleRate).toBe(22050);
    expect(y.samples.length).toBe(x.samples.length);
    let energy = 0;
    let diff = 0;
    for (let i = 0; i < y.samples.length; i++) {
      energy += y.samples[i]! ** 2;
      diff += (y.samples[i]! - x.samples[i]!) ** 2;
    }
    expect(Math.sqrt(energy / y.samples.length)).toBeGreaterThan(1e-3);
    expect(Math.sqrt(diff / y.samples.length)).toBeGreaterThan(1e-3);
  }

  it('converts a sample file: model rate, input length, not silent, not the input', async () => {
    const input = join(REPO, 'samples', 'demo', 'alice_demo1.wav');
    const out = join(root, 'demo.a2b.wav');
    const r = await runCli(['convert', input, '-o', out, '--model', modelDir, '--backend', 'wasm', '--spectrogram']);
    expect(r.status, errorLine(r)).toBe(0);
    expectConvertedSpeech(input, out);
    expect(existsSync(join(root, 'demo.a2b.png'))).toBe(true);
  });

  it('converts with the shipped alice<->bob model when no --model is given', async () => {
    const input = join(REPO, 'samples', 'demo', 'bob_demo2.wav');
    const out = join(root, 'shipped.b2a.wav');
    const r = await runCli(['convert', input, '-o', out, '--direction', 'b2a', '--backend', 'wasm']);
    expect(r.status, errorLine(r)).toBe(0);
    expectConvertedSpeech(input, out);
  });

  it('converts a folder in one process, reporting a bad file and exiting 1 while converting the rest (the bad file left out of the pooled statistics)', async () => {
    const inDir = join(root, 'in');
    mkdirSync(inDir);
    copyFileSync(join(REPO, 'samples', 'demo', 'bob_demo1.wav'), join(inDir, 'one.wav'));
    copyFileSync(join(REPO, 'samples', 'demo', 'bob_demo2.wav'), join(inDir, 'two.wav'));
    writeFileSync(join(inDir, 'bad.wav'), 'garbage');
    const outDir = join(root, 'out');
    const r = await runCli(['convert', inDir, '-o', outDir + '/', '--model', join(root, 'run'), '--direction', 'b2a', '--backend', 'wasm', '--float']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.wav: .*RIFF/);
    expect(readdirSync(outDir).sort()).toEqual(['one.b2a.wav', 'two.b2a.wav']);
    const good = ['one.wav', 'two.wav'].map((f) => join(inDir, f));
    const pooled = inputVoiceStats(good.map((f) => logMelSpectrogram(readWav(f).samples, model.info.features)), model.config.domain)!;
    const library = convertFile(model, good[0], join(root, 'one-lib.wav'), { direction: 'b2a', inputStats: pooled, encoding: 'float32' }).samples;
    const cli = readWav(join(outDir, 'one.b2a.wav')).samples;
    expect(Math.max(...cli.map((x, i) => Math.abs(x - library[i])))).toBeLessThan(1e-6);
  });

  it('gives one-line errors for a missing model and for a model directory that is not a model', async () => {
    const input = join(REPO, 'samples', 'demo', 'alice_demo1.wav');
    const missing = await runCli(['convert', input, '--model', join(root, 'nope'), '-o', join(root, 'x.wav'), '--backend', 'wasm']);
    expect(missing.status).toBe(1);
    expect(errorLine(missing)).toMatch(/nope: model not found/);
    const notModel = await runCli(['convert', input, '--model', join(root, 'alice'), '-o', join(root, 'x.wav'), '--backend', 'wasm']);
    expect(errorLine(notModel)).toMatch(/alice: not a voiceswap model/);
    expect(existsSync(join(root, 'x.wav'))).toBe(false);
  });

  /** A copy of the test model with its model.json edited, and a CLI conversion of the demo clip with a model. */
  const variant = (name: string, edit: (json: Record<string, any>) => void) => {
    const dir = join(root, name);
    mkdirSync(dir);
    const json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
    edit(json);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    copyFileSync(join(modelDir, 'weights.bin'), join(dir, 'weights.bin'));
    return dir;
  };
  const out = join(root, 'y.wav');
  const convert = (dir: string, ...extra: string[]) =>
    runCli(['convert', join(REPO, 'samples', 'demo', 'alice_demo1.wav'), '--model', dir, '-o', out, '--backend', 'wasm', ...extra]);

  it('gives one-line errors for a model made with other features, a missing direction and damaged weights', async () => {
    const otherRate = await convert(variant('rate16k', (j) => (j.extra.features.sampleRate = 16000)));
    expect(otherRate.status).toBe(1);
    expect(errorLine(otherRate)).toMatch(/rate16k.*sampleRate/);

    const oneWay = variant('a2b-only', (j) => {
      j.networks = j.networks.filter((n: { name: string }) => n.name === 'G_AB');
      j.weights.entries = j.weights.entries.filter((e: { name: string }) => e.name.startsWith('G_AB/'));
    });
    expect((await convert(oneWay)).status).toBe(0);
    const missingDirection = await convert(oneWay, '--direction', 'b2a');
    expect(missingDirection.status).toBe(1);
    expect(errorLine(missingDirection)).toMatch(/a2b-only.*cannot convert b2a/);

    const damaged = variant('damaged', () => {});
    writeFileSync(join(damaged, 'weights.bin'), readFileSync(join(modelDir, 'weights.bin')).subarray(0, 1000));
    const broken = await convert(damaged);
    expect(broken.status).toBe(1);
    expect(errorLine(broken)).toMatch(/damaged.*weights/);
    expect(broken.stderr).not.toMatch(/\n\s+at /); // no stack trace

    // Bytes changed in place (same length, still finite numbers) converted to noise with exit 0.
    const flipped = variant('flipped', () => {});
    const bytes = readFileSync(join(modelDir, 'weights.bin'));
    for (let i = 0; i < 2000; i++) bytes[4 * ((i * 7919) % (bytes.length / 4))] ^= 0xff;
    rmSync(out, { force: true }); // written by the one-way model above
    for (const weights of [bytes, Buffer.alloc(bytes.length)]) {
      writeFileSync(join(flipped, 'weights.bin'), weights);
      const r = await convert(flipped);
      expect(r.status).toBe(1);
      expect(errorLine(r)).toBe(`voiceswap: error: ${join(flipped, 'weights.bin')}: is damaged: its SHA-256 does not match the one in model.json (changed or corrupted since it was saved)`);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('limitPeak scales an output that goes over OUTPUT_PEAK down to it, whole, and leaves a quieter one alone', () => {
    const loud = Float32Array.from([0.5, -2, 1]);
    expect(Array.from(limitPeak(loud))).toEqual(Array.from(Float32Array.from([0.245, -0.98, 0.49])));
    const quiet = Float32Array.from([0.5, -0.9]);
    expect(limitPeak(quiet)).toBe(quiet);
    expect(Array.from(quiet)).toEqual(Array.from(Float32Array.from([0.5, -0.9])));
  });

  it("converted speech stays under full scale, scaled rather than clipped (the shipped model's alice -> bob peaks at 2.3 before)", () => {
    const shipped = loadVoiceModel(defaultModelDir(), ['a2b']);
    try {
      const wav = readWav(join(REPO, 'samples', 'dev', 'alice', 'dev03.wav'));
      const y = convertAudio(shipped, wav.samples, wav.sampleRate, { direction: 'a2b' }).samples;
      const peak = Math.max(...y.map(Math.abs));
      expect(peak).toBeCloseTo(OUTPUT_PEAK, 5);
      // Clipping would flatten every peak at the ceiling; a scaled waveform touches it once or twice.
      expect(y.filter((v) => Math.abs(v) > 0.99 * OUTPUT_PEAK).length).toBeLessThan(10);
    } finally {
      disposeVoiceModel(shipped);
    }
  });

  it('a generator that gives NaN is an error naming the model and the cause, not a vocoder failure', () => {
    const gamma = model.generators.a2b!.vars.get('up2/norm/gamma')!;
    const saved = gamma.dataSync().slice();
    tf.tidy(() => gamma.assign(tf.fill(gamma.shape, NaN)));
    try {
      const input = { data: new Float32Array(80 * 32).fill(-4), rows: 80, frames: 32 };
      expect(() => convertLogMel(model, input, 'a2b')).toThrow(`${modelDir}: the a2b generator gives NaN or infinite values: the model is damaged`);
    } finally {
      gamma.assign(tf.tensor(saved, gamma.shape));
    }
  });

  it('a 20 ms recording converts to something like it, not to near-full-scale noise (shipped model)', () => {
    const shipped = loadVoiceModel(defaultModelDir(), ['a2b']);
    try {
      const speech = readWav(join(REPO, 'samples', 'demo', 'alice_demo1.wav')).samples;
      for (const start of [22050, 30000, 40000]) {
        const clip = speech.slice(start, start + 441); // 20 ms: 2 frames of log-mel
        const { samples } = convertAudio(shipped, clip, 22050, { direction: 'a2b' });
        expect(samples.length).toBe(clip.length);
        const clipped = samples.filter((v) => Math.abs(v) >= 0.999).length / samples.length;
        // Before: 47-87 % of the samples clipped, 10-40 times the input's RMS.
        expect(clipped, `clip at ${start}`).toBeLessThan(0.1);
        expect(rms(samples), `clip at ${start}`).toBeLessThan(4 * rms(clip));
      }
    } finally {
      disposeVoiceModel(shipped);
    }
  });

  it('reads a model made before pitch tracking, and one-line errors for damaged pitch statistics', async () => {
    // A model made before pitch tracking (no pitch statistics, no domain: it mapped whole
    // log-mels) still converts, with the generator's own harmonics; the rebuilt excitation
    // asks for a retrain instead of guessing a pitch.
    const beforePitch = variant('before-pitch', (j) => {
      delete j.extra.pitch;
      delete j.config.domain;
    });
    const old = await convert(beforePitch);
    expect(old.status, errorLine(old)).toBe(0);
    const rebuilt = await convert(beforePitch, '--excitation', 'rebuilt');
    expect(rebuilt.status).toBe(1);
    expect(errorLine(rebuilt)).toMatch(/before-pitch: this model has no pitch statistics/);
    const damagedPitch = await convert(variant('bad-pitch', (j) => (j.extra.pitch.b.logStd = 'x')));
    expect(damagedPitch.status).toBe(1);
    expect(errorLine(damagedPitch)).toMatch(/bad-pitch.*pitch statistics are damaged/);
  });

  it('reads a model made before voicing classifiers (the input\'s voicing is kept), and one-line errors for damaged ones', async () => {
    expect(model.voicing).not.toBeNull(); // training fits them
    const beforeVoicing = variant('before-voicing', (j) => delete j.extra.voicing);
    const old = await convert(beforeVoicing);
    expect(old.status, errorLine(old)).toBe(0);
    const target = await convert(beforeVoicing, '--voicing', 'target');
    expect(target.status).toBe(1);
    expect(errorLine(target)).toMatch(/before-voicing: this model has no voicing classifiers/);
    const damaged = await convert(variant('bad-voicing', (j) => j.extra.voicing.a.weights.pop()));
    expect(damaged.status).toBe(1);
    expect(errorLine(damaged)).toMatch(/bad-voicing.*voicing classifiers are damaged/);
    const usage = await convert(beforeVoicing, '--voicing', 'both');
    expect(usage.status).not.toBe(0);
    expect(usage.stderr).toMatch(/--voicing/);
  });

  /**
   * A CLI option against the library option it stands for: the CLI with `flags` gives the
   * library's output with `options` (float WAVs, within 1e-6), and not the default's.
   */
  async function expectCliMatchesLibrary(name: string, flags: string[], options: ConvertOptions): Promise<void> {
    const input = join(REPO, 'samples', 'demo', 'alice_demo1.wav');
    const run = async (...extra: string[]) => {
      const output = join(root, `${name}-${extra.length ? 'cli' : 'default'}.wav`);
      const r = await runCli(['convert', input, '--model', modelDir, '-o', output, '--backend', 'wasm', '--float', ...extra]);
      expect(r.status, errorLine(r)).toBe(0);
      return readWav(output).samples;
    };
    const byDefault = await run();
    const cli = await run(...flags);
    const library = convertFile(model, input, join(root, `${name}-lib.wav`), { ...options, encoding: 'float32' }).samples;
    expect(cli.length).toBe(library.length);
    expect(Math.max(...cli.map((x, i) => Math.abs(x - library[i])))).toBeLessThan(1e-6);
    expect(Math.max(...cli.map((x, i) => Math.abs(x - byDefault[i])))).toBeGreaterThan(1e-3);
  }

  it('--no-harmonic-lock converts as the library does with harmonicLock null, and not as the default', async () => {
    await expectCliMatchesLibrary('free', ['--no-harmonic-lock'], { harmonicLock: null });
  });

  it('--formant-ratio converts as the library does with that formantRatio, and not as the default', async () => {
    await expectCliMatchesLibrary('formants', ['--formant-ratio', '1'], { formantRatio: 1 });
  });

  it("--input-stats off converts as the library does with the source speaker's statistics alone, and not as the default", async () => {
    await expectCliMatchesLibrary('speaker-stats', ['--input-stats', 'off'], { inputStats: 'speaker' });
  });

  it('several inputs are normalised with their statistics pooled (--input-stats all, the default), or each with its own (file)', async () => {
    const inputs = ['alice_demo1.wav', 'alice_demo2.wav'].map((f) => join(REPO, 'samples', 'demo', f));
    const run = async (scope: string) => {
      const out = join(root, `pooled-${scope}`);
      const r = await runCli(['convert', ...inputs, '--model', modelDir, '-o', `${out}/`, '--backend', 'wasm', '--float', '--jobs', '2', ...(scope ? ['--input-stats', scope] : [])]);
      expect(r.status, errorLine(r)).toBe(0);
      return readWav(join(out, 'alice_demo1.a2b.wav')).samples;
    };
    const features = model.info.features;
    const pooled = inputVoiceStats(inputs.map((f) => logMelSpectrogram(readWav(f).samples, features)), model.config.domain)!;
    const library = (inputStats: ConvertOptions['inputStats']) => convertFile(model, inputs[0], join(root, 'pooled-lib.wav'), { inputStats, encoding: 'float32' }).samples;
    const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    const all = await run('');
    expect(maxDiff(all, await run('all'))).toBe(0);
    expect(maxDiff(all, library(pooled))).toBeLessThan(1e-6);
    const file = await run('file');
    expect(maxDiff(file, library('own'))).toBeLessThan(1e-6);
    expect(maxDiff(all, file)).toBeGreaterThan(1e-3);
  });

  it('chunked conversion of a long input keeps its length and joins chunks without a seam', () => {
    const frames = 700;
    const data = new Float32Array(80 * frames);
    for (let r = 0; r < 80; r++) for (let t = 0; t < frames; t++) data[r * frames + t] = -6 + 3 * Math.sin(t / 7 + r / 5);
    const logMel = { data, rows: 80, frames };
    const whole = convertLogMel(model, logMel, 'a2b', { maxChunkFrames: 4096, overlapFrames: 64 });
    const chunked = convertLogMel(model, logMel, 'a2b', { maxChunkFrames: 256, overlapFrames: 32 });
    expect(chunked.frames).toBe(frames);
    // Seams would show as larger frame-to-frame jumps than the one-pass output has.
    const meanJump = (spec: typeof whole) => {
      let sum = 0;
      for (let r = 0; r < 80; r++) for (let t = 1; t < frames; t++) sum += Math.abs(spec.data[r * frames + t] - spec.data[r * frames + t - 1]);
      return sum / (80 * (frames - 1));
    };
    let meanAbsDiff = 0;
    for (let i = 0; i < data.length; i++) meanAbsDiff += Math.abs(chunked.data[i] - whole.data[i]) / data.length;
    expect(meanAbsDiff).toBeLessThan(0.5); // close to the one-pass result
    expect(meanJump(chunked)).toBeLessThan(1.1 * meanJump(whole));
  });

  it('cross-fades overlapping chunks into the exact input where the converter is the identity', () => {
    const frames = 1000;
    const data = Float32Array.from({ length: 3 * frames }, (_, i) => Math.sin(i / 13));
    const out = convertInChunks({ data, rows: 3, frames }, { maxChunkFrames: 128, overlapFrames: 16 }, (c) => c);
    for (let i = 0; i < data.length; i++) expect(out.data[i]).toBeCloseTo(data[i], 5);
  });
});

/** The dev speech of samples/dev/alice, concatenated and repeated to `seconds` at 22.05 kHz. */
function repeatedSpeech(seconds: number): Float32Array {
  const dir = join(REPO, 'samples', 'dev', 'alice');
  const parts = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().map((f) => readWav(join(dir, f)));
  for (const p of parts) expect(p.sampleRate).toBe(22050);
  const out = new Float32Array(Math.round(seconds * 22050));
  for (let at = 0, i = 0; at < out.length; i++) {
    const part = parts[i % parts.length].samples;
    out.set(part.subarray(0, Math.min(part.length, out.length - at)), at);
    at += part.length;
  }
  return out;
}

function rms(x: Float32Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / x.length);
}

function firstFrames(spec: Spectrogram, frames: number): Spectrogram {
  const data = new Float32Array(spec.rows * frames);
  for (let r = 0; r < spec.rows; r++) data.set(spec.data.subarray(r * spec.frames, r * spec.frames + frames), r * frames);
  return { data, rows: spec.rows, frames };
}

describe('long recordings', () => {
  it('converts a one-minute file (several chunks) end to end: input sample count, not silent, no tensors left', () => {
    const input = join(root, 'one-minute.wav');
    writeWav(input, repeatedSpeech(60), 22050);
    const tensors = tf.memory().numTensors;
    // One Griffin-Lim iteration: the vocoder's cost grows with them, the lengths do not.
    const result = convertFile(model, input, join(root, 'one-minute.a2b.wav'), { iterations: 1 });
    expect(tf.memory().numTensors).toBe(tensors);
    const x = readWav(input);
    const y = readWav(join(root, 'one-minute.a2b.wav'));
    expect(result.input.frames).toBeGreaterThan(2 * DEFAULT_CHUNKING.maxChunkFrames); // at least three chunks
    expect(result.output.frames).toBe(result.input.frames);
    expect(y.sampleRate).toBe(22050);
    expect(y.samples.length).toBe(x.samples.length);
    expect(rms(y.samples)).toBeGreaterThan(1e-3);
  });

  it('converts a 10-minute file with the tensor memory of one chunk and the vocoder memory of one block', async () => {
    const input = join(root, 'ten-minutes.wav');
    writeWav(input, repeatedSpeech(600), 22050);
    // convertAudio's steps, with the CLI's chunking, one by one.
    const wav = readWav(input);
    const logMel = logMelSpectrogram(wav.samples, model.info.features);
    expect(logMel.frames).toBeGreaterThan(20 * DEFAULT_CHUNKING.maxChunkFrames);
    const oneChunk = await tf.profile(() => void convertLogMel(model, firstFrames(logMel, DEFAULT_CHUNKING.maxChunkFrames), 'a2b'));
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    let output: Spectrogram | undefined;
    const whole = await tf.profile(() => void (output = convertLogMel(model, logMel, 'a2b')));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    // Tensor bytes peak inside a chunk's generator pass: the same for 24 s and 10 minutes.
    expect(oneChunk.peakBytes).toBeGreaterThan(bytes);
    expect(whole.peakBytes).toBeLessThanOrEqual(oneChunk.peakBytes * 1.01);
    expect(output!.frames).toBe(logMel.frames);
    expect(output!.rows).toBe(logMel.rows);
    expect(output!.data.every(Number.isFinite)).toBe(true);

    // The vocoder, with one Griffin-Lim iteration (its cost grows with them, its memory does
    // not): its work arrays are one block's, whatever the length.
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const samples = logMelToAudio(output!, {
      cfg: model.info.features,
      iterations: 1,
      length: wav.samples.length,
      onBlock: () => void (peak = Math.max(peak, process.memoryUsage().arrayBuffers)),
    });
    expect(samples.length).toBe(wav.samples.length);
    expect(rms(samples)).toBeGreaterThan(1e-3);
    const bins = model.info.features.nFft / 2 + 1;
    // About 100 bytes per bin and frame of a block (garbage collected meanwhile can only
    // lower the figure); one float64 array over all frames would be 212 MB by itself.
    expect(peak - before - samples.byteLength).toBeLessThan(200 * bins * DEFAULT_BLOCK_FRAMES);
  });
});
