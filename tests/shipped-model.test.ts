import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { convertFile } from '../src/convert/convert-file.js';
import { defaultModelDir } from '../src/convert/shipped-model.js';
import { disposeVoiceModel, loadVoiceModel, type VoiceModel } from '../src/convert/voice-model.js';
import { evaluatePairs } from '../src/eval/evaluate.js';
import { trackF0 } from '../src/audio/pitch.js';
import { readWav } from '../src/audio/wav.js';
import { REPO } from './helpers/cli.js';

/**
 * The shipped alice<->bob model does convert: on held-out dev sentences that both speakers
 * say, the converted median F0 moves at least 3 semitones from the input's toward the
 * target speaker's and lands within 2 semitones of it, and the spectrum ends up closer to
 * the target's (lower MCD) than the input is and than the statistics-only baseline (the same
 * pipeline without the generator) gets. The margins are relative to the input and to the
 * baseline, not to one model's figures, so a retrained model that converts passes.
 *
 * And it keeps noise noise: the source's loud frames of clear noise (fricatives,
 * aspiration: unvoiced to the evaluation tracker with aperiodicity >= 0.7) stay unvoiced
 * after conversion, although the target speaker's voicing classifier decides which frames
 * are voiced (without its noise limit, 16% of them came out voiced in b2a).
 */

const SENTENCES = ['dev01.wav', 'dev02.wav', 'dev03.wav'];
const MIN_PITCH_MOVE_SEMITONES = 3;
const MIN_MCD_GAIN_DB = 0.5;
/**
 * The generator's share: the shipped model is 0.82 dB (a2b) and 0.24 dB (b2a) below the
 * statistics-only baseline on these sentences. The baseline is warped too (its formants follow
 * the pitch), which took most of what the generator used to add b2a (1.0 / 0.65 dB before).
 * A generator that adds nothing to its skip lands on the baseline.
 */
const MIN_GAIN_OVER_BASELINE_DB = 0.15;
const MAX_SEMITONES_FROM_TARGET = 2;
/**
 * These sentences' share is 0.900 (0.906 with the input normalised by the source speaker's
 * statistics alone, `inputStats: 'speaker'`); without the noise limit it is 0.79.
 */
const MIN_UNVOICED_KEPT = 0.88;

/** Of the source's loud noise frames (inside unvoiced runs, aperiodicity >= 0.7, within 40 dB of the loudest frame), the share the converted audio leaves unvoiced. */
function unvoicedKept(pairs: { source: string; converted: string }[]): { frames: number; kept: number } {
  let frames = 0;
  let kept = 0;
  for (const { source, converted } of pairs) {
    const x = readWav(source).samples;
    const a = trackF0(x);
    const b = trackF0(readWav(converted).samples);
    const level = frameLevelsDb(x, a.hopLength);
    const loudest = Math.max(...level);
    for (let t = 1; t < Math.min(a.voiced.length, b.voiced.length) - 1; t++) {
      if (a.voiced[t - 1] || a.voiced[t] || a.voiced[t + 1] || a.aperiodicity[t] < 0.7 || level[t] < loudest - 40) continue;
      frames++;
      if (!b.voiced[t]) kept++;
    }
  }
  return { frames, kept: kept / frames };
}

/** Level in dB of a 1024-sample window centred on each tracker frame. */
function frameLevelsDb(x: Float32Array, hop: number): number[] {
  const n = 1 + Math.floor(x.length / hop);
  return Array.from({ length: n }, (_, t) => {
    let e = 1e-12;
    for (let i = Math.max(0, t * hop - 512); i < Math.min(x.length, t * hop + 512); i++) e += x[i] * x[i];
    return 10 * Math.log10(e);
  });
}

const root = mkdtempSync(join(tmpdir(), 'voiceswap-shipped-'));
let model: VoiceModel;

beforeAll(async () => {
  await initBackend('wasm');
  model = loadVoiceModel(defaultModelDir());
});
afterAll(() => {
  disposeVoiceModel(model);
  rmSync(root, { recursive: true, force: true });
});

const semitones = (from: number, to: number) => 12 * Math.log2(to / from);

describe('the shipped model', () => {
  for (const [direction, source, target] of [['a2b', 'alice', 'bob'], ['b2a', 'bob', 'alice']] as const) {
    it(`${direction}: moves the median F0 toward ${target}'s and the spectrum closer to ${target}'s than the input`, () => {
      const dir = (name: string) => join(root, direction, name);
      for (const name of ['source', 'target', 'converted', 'baseline']) mkdirSync(dir(name), { recursive: true });
      for (const file of SENTENCES) {
        copyFileSync(join(REPO, 'samples', 'dev', source, file), join(dir('source'), file));
        copyFileSync(join(REPO, 'samples', 'dev', target, file), join(dir('target'), file));
        const converted = file.replace('.wav', `.${direction}.wav`);
        convertFile(model, join(dir('source'), file), join(dir('converted'), converted), { direction });
        convertFile(model, join(dir('source'), file), join(dir('baseline'), converted), { direction, statsOnly: true });
      }
      const report = evaluatePairs(dir('converted'), dir('target'), { sourceDir: dir('source') });
      const baseline = evaluatePairs(dir('baseline'), dir('target')).converted.total;
      const converted = report.converted.total;
      const input = report.unconverted!.total;
      expect(converted.files).toBe(SENTENCES.length);
      const f0 = { input: input.convertedMedianF0Hz!, converted: converted.convertedMedianF0Hz!, target: converted.targetMedianF0Hz! };
      const towardTarget = Math.sign(semitones(f0.input, f0.target));
      const summary = `median F0 ${f0.input.toFixed(0)} -> ${f0.converted.toFixed(0)} Hz (target ${f0.target.toFixed(0)}), MCD ${input.mcdDb.toFixed(2)} -> ${converted.mcdDb.toFixed(2)} dB (baseline ${baseline.mcdDb.toFixed(2)})`;
      expect(Math.abs(semitones(f0.input, f0.target)), summary).toBeGreaterThan(MIN_PITCH_MOVE_SEMITONES); // the speakers differ enough to tell
      expect(towardTarget * semitones(f0.input, f0.converted), summary).toBeGreaterThanOrEqual(MIN_PITCH_MOVE_SEMITONES);
      expect(Math.abs(semitones(f0.target, f0.converted)), summary).toBeLessThan(MAX_SEMITONES_FROM_TARGET);
      expect(converted.mcdDb, summary).toBeLessThan(input.mcdDb - MIN_MCD_GAIN_DB);
      expect(converted.mcdDb, summary).toBeLessThan(baseline.mcdDb - MIN_GAIN_OVER_BASELINE_DB);
      const noise = unvoicedKept(SENTENCES.map((f) => ({ source: join(dir('source'), f), converted: join(dir('converted'), f.replace('.wav', `.${direction}.wav`)) })));
      expect(noise.frames).toBeGreaterThan(50);
      expect(noise.kept, `${noise.frames} loud noise frames`).toBeGreaterThan(MIN_UNVOICED_KEPT);
    });
  }
});
