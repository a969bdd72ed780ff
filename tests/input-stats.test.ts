import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, type Spectrogram } from '../src/audio/config.js';
import { spectralEnvelope } from '../src/audio/envelope.js';
import { logMelSpectrogram } from '../src/audio/features.js';
import { initBackend } from '../src/backend/index.js';
import { convertAudio, type ConvertOptions } from '../src/convert/convert-audio.js';
import { blendStats, EMPTY_BIN_SPREAD, INPUT_STATS_PRIOR_SECONDS, inputStatsWeight, inputVoiceStats, priorFrames, fillEmptyBands, GUIDE_BINS, RECORDED_BIN_SPREAD, type InputVoiceStats } from '../src/convert/input-stats.js';
import { defaultModelDir } from '../src/convert/shipped-model.js';
import { disposeVoiceModel, loadVoiceModel, type VoiceModel } from '../src/convert/voice-model.js';
import { readWav } from '../src/audio/wav.js';
import { resample } from '../src/audio/resample.js';
import { computeSpeakerStats, DEFAULT_STATS_OPTIONS, voicedFrameMask } from '../src/model/normalization.js';
import { hzToMel, melToHz } from '../src/audio/melscale.js';
import { REPO } from './helpers/cli.js';
import { modelWithPitch, vowel } from './helpers/voice-models.js';

const CFG = DEFAULT_FEATURE_CONFIG;
const SR = CFG.sampleRate;
const PRIOR_FRAMES = (INPUT_STATS_PRIOR_SECONDS * SR) / CFG.hopLength;

const nonSilent = (spec: Spectrogram): number => voicedFrameMask(spec, DEFAULT_STATS_OPTIONS.silenceDb).reduce((n, v) => n + v, 0);

describe('how much of the input its own statistics decide', () => {
  it('weighs a bin where the input varies like the speaker as INPUT_STATS_PRIOR_SECONDS of speech against its frames', () => {
    expect(priorFrames(CFG)).toBeCloseTo(3.5 * 22050 / 256, 9);
    expect(inputStatsWeight(0, 1, 1, PRIOR_FRAMES)).toBe(0);
    expect(inputStatsWeight(PRIOR_FRAMES, 2, 2, PRIOR_FRAMES)).toBeCloseTo(0.5, 12);
    expect(inputStatsWeight(3 * PRIOR_FRAMES, 1, 1, PRIOR_FRAMES)).toBeCloseTo(0.75, 12);
    expect(inputStatsWeight(1e9, 1, 1, PRIOR_FRAMES)).toBeGreaterThan(0.999999);
  });

  it('trusts the mean of a bin the input hardly varies in (an empty band) more: the prior scales with (input std / speaker std)²', () => {
    expect(inputStatsWeight(PRIOR_FRAMES, 0.5, 1, PRIOR_FRAMES)).toBeCloseTo(0.8, 12); // 1 / (1 + 1/4)
    expect(inputStatsWeight(100, 1e-3, 1, PRIOR_FRAMES)).toBeGreaterThan(0.9999);
  });

  it('blends each bin between the two by its weight', () => {
    const speaker = { mean: Float32Array.of(0, 1), std: Float32Array.of(1, 2) };
    const input = { mean: Float32Array.of(4, -1), std: Float32Array.of(1, 1), frames: 100 };
    const blended = blendStats(speaker, input, 300);
    const w = [100 / 400, 100 / (100 + 300 / 4)];
    expect(blended.mean[0]).toBeCloseTo(4 * w[0], 6);
    expect(blended.mean[1]).toBeCloseTo((1 - w[1]) * 1 - w[1], 6);
    expect(blended.std[0]).toBeCloseTo(1, 6);
    expect(blended.std[1]).toBeCloseTo((1 - w[1]) * 2 + w[1], 6);
  });
});

describe("a voice's statistics over its recordings", () => {
  const a = logMelSpectrogram(vowel(1, () => 150), CFG);
  const b = logMelSpectrogram(vowel(0.7, () => 220), CFG);

  it('pool the envelopes of every recording, counting their non-silent frames', () => {
    const pooled = inputVoiceStats([a, b])!;
    const envelopes = [spectralEnvelope(a), spectralEnvelope(b)];
    const expected = computeSpeakerStats(envelopes);
    expect(Array.from(pooled.mean)).toEqual(Array.from(expected.mean));
    expect(Array.from(pooled.std)).toEqual(Array.from(expected.std));
    expect(pooled.frames).toBe(nonSilent(envelopes[0]) + nonSilent(envelopes[1]));
    expect(pooled.frames).toBeGreaterThan(100);
  });

  it('are of the log-mels themselves for a model whose generators map log-mels', () => {
    const pooled = inputVoiceStats([a, b], 'log-mel')!;
    expect(Array.from(pooled.mean)).toEqual(Array.from(computeSpeakerStats([a, b]).mean));
    expect(pooled.frames).toBe(nonSilent(a) + nonSilent(b));
  });

  it('leave out digital silence, and are null for nothing else', () => {
    const silence = logMelSpectrogram(new Float32Array(SR), CFG);
    expect(inputVoiceStats([silence])).toBeNull();
    expect(inputVoiceStats([a, silence])).toEqual(inputVoiceStats([a]));
  });
});

/**
 * A voice that sits off the source speaker's statistics by the same amount in every bin
 * (here: the same recording 12 dB louder). Conversion through the statistics alone (no
 * generator, the input's own excitation, no formant warp) shows what the generator would
 * be given.
 */
describe('normalising the input with its own statistics', () => {
  const quiet = vowel(1.5, (t) => 140 * (1 + 0.05 * Math.sin(7 * t)));
  const loud = quiet.map((x) => 4 * x);
  const lmQuiet = logMelSpectrogram(quiet, CFG);
  const lmLoud = logMelSpectrogram(loud, CFG);
  let model: VoiceModel;
  beforeAll(async () => {
    await initBackend('cpu');
    const pitch = { logMean: Math.log(140), logStd: 0.05, voicedFrames: 1000 };
    model = modelWithPitch([spectralEnvelope(lmQuiet)], pitch, pitch);
  });
  const convert = (x: Float32Array, options: ConvertOptions) =>
    convertAudio(model, x, SR, { direction: 'a2b', statsOnly: true, excitation: 'source', formantRatio: 1, ...options }).output;
  // Middle frames, bins below 7 kHz (above, the vowel is at the log floor, which a gain does not move).
  const frames = lmQuiet.frames;
  const bins = Array.from({ length: CFG.nMels - 12 }, (_, r) => r);
  const middle = Array.from({ length: Math.floor(frames / 2) }, (_, i) => Math.floor(frames / 4) + i);
  /** Mean over middle frames of each bin's difference loud − quiet. */
  const offsets = (x: Spectrogram, y: Spectrogram) => bins.map((r) => middle.reduce((s, t) => s + y.data[r * frames + t] - x.data[r * frames + t], 0) / middle.length);
  const gain = offsets(lmQuiet, lmLoud);

  it('the gain is a constant offset of the input log-mel (what the checks below rely on)', () => {
    for (const g of gain) expect(g).toBeCloseTo(gain[0], 3);
    expect(gain[0]).toBeGreaterThan(1);
  });

  it("with the source speaker's statistics alone the offset passes to the generator whole", () => {
    const moved = offsets(convert(quiet, { inputStats: 'speaker' }), convert(loud, { inputStats: 'speaker' }));
    moved.forEach((m, i) => expect(m).toBeCloseTo(gain[i], 2));
  });

  it("with its own statistics (the default) it is taken out by each bin's weight, in the bin's own units", () => {
    const own = inputVoiceStats([lmQuiet])!;
    const speakerStd = model.stats.a.std;
    const w = bins.map((r) => inputStatsWeight(own.frames, own.std[r], speakerStd[r], PRIOR_FRAMES));
    expect(Math.min(...w)).toBeGreaterThan(0.05);
    expect(Math.max(...w)).toBeLessThan(0.95);
    const moved = offsets(convert(quiet, {}), convert(loud, {}));
    // Target statistics are the source speaker's, so what is left of the offset is (1 − w)·gain / blended std × speaker std.
    moved.forEach((m, i) => expect(m).toBeCloseTo(((1 - w[i]) * gain[i] * speakerStd[i]) / ((1 - w[i]) * speakerStd[i] + w[i] * own.std[i]), 2));
    expect(convert(quiet, {}).data).toEqual(convert(quiet, { inputStats: own }).data);
  });

  it('with pooled statistics of many frames it is taken out wholly', () => {
    const many = (lm: Spectrogram): InputVoiceStats => ({ ...inputVoiceStats([lm])!, frames: 1e12 });
    const moved = offsets(convert(quiet, { inputStats: many(lmQuiet) }), convert(loud, { inputStats: many(lmLoud) }));
    for (const m of moved) expect(Math.abs(m)).toBeLessThan(1e-3);
  });

  it('refuses statistics of another bin count', () => {
    const wrong = { mean: new Float32Array(10), std: new Float32Array(10).fill(1), frames: 100 };
    expect(() => convert(quiet, { inputStats: wrong })).toThrow(/input statistics have 10 bins, the model 80/);
  });
});

/**
 * A real recording brought to the telephone band (alice's dev01, down to 8 kHz and back:
 * nothing above 4 kHz), converted by the shipped model's statistics alone: the empty band
 * must reach the generator as the middle of the speaker's range, not far below it.
 */
describe('a telephone-band recording', () => {
  let shipped: VoiceModel;
  beforeAll(async () => {
    await initBackend('cpu');
    shipped = loadVoiceModel(defaultModelDir(), ['a2b']);
  });
  afterAll(() => disposeVoiceModel(shipped));

  it('has its empty band normalised to the middle of the speaker\'s range with its own statistics, and far below it without', () => {
    const wav = readWav(join(REPO, 'samples', 'dev', 'alice', 'dev01.wav'));
    const phone = resample(resample(wav.samples, wav.sampleRate, 8000), 8000, SR);
    const centre = (r: number) => melToHz(hzToMel(CFG.fMin) + ((r + 1) * (hzToMel(CFG.fMax) - hzToMel(CFG.fMin))) / (CFG.nMels + 1));
    const empty = Array.from({ length: CFG.nMels }, (_, r) => r).filter((r) => centre(r) > 5000);
    const target = shipped.stats.b; // the target's units: what the generator's output is denormalised with
    const standardUnits = (inputStats: ConvertOptions['inputStats']) => {
      const { input, output } = convertAudio(shipped, phone, SR, { direction: 'a2b', statsOnly: true, excitation: 'source', formantRatio: 1, inputStats });
      const envelope = spectralEnvelope(output);
      // The input's speech frames (its pauses keep the empty band at the floor: silenceEmptyBins).
      const loud = Array.from(voicedFrameMask(input, DEFAULT_STATS_OPTIONS.silenceDb).entries()).filter(([, v]) => v).map(([t]) => t);
      return empty.map((r) => loud.reduce((s, t) => s + (envelope.data[r * envelope.frames + t] - target.mean[r]) / target.std[r], 0) / loud.length);
    };
    expect(empty.length).toBeGreaterThan(10);
    const mean = (zs: number[]) => zs.reduce((a, b) => a + b, 0) / zs.length;
    const own = standardUnits('own');
    const speaker = standardUnits('speaker');
    for (const z of own) expect(Math.abs(z)).toBeLessThan(1);
    expect(mean(own.map(Math.abs))).toBeLessThan(0.2);
    for (const z of speaker) expect(z).toBeLessThan(-2);
    expect(mean(speaker)).toBeLessThan(-3);
  });

  it('keeps the band it does not have silent in its pauses, and in its speech filled and moving with the top of the band it has', () => {
    const wav = readWav(join(REPO, 'samples', 'dev', 'alice', 'dev01.wav'));
    const phone = resample(resample(wav.samples, wav.sampleRate, 8000), 8000, SR);
    const centre = (r: number) => melToHz(hzToMel(CFG.fMin) + ((r + 1) * (hzToMel(CFG.fMax) - hzToMel(CFG.fMin))) / (CFG.nMels + 1));
    const empty = Array.from({ length: CFG.nMels }, (_, r) => r).filter((r) => centre(r) > 5000);
    const { input, output } = convertAudio(shipped, phone, SR, { direction: 'a2b', statsOnly: true, excitation: 'source', formantRatio: 1 });
    const voice = voicedFrameMask(input, DEFAULT_STATS_OPTIONS.silenceDb);
    const frames = (speech: boolean) => Array.from(voice.entries()).filter(([, v]) => (v === 1) === speech).map(([t]) => t);
    // Mean log level of the empty band over some frames.
    const level = (spec: Spectrogram, ts: number[]) => empty.reduce((s, r) => s + ts.reduce((a, t) => a + spec.data[r * spec.frames + t], 0), 0) / (empty.length * ts.length);
    const pauses = frames(false);
    const speech = frames(true);
    expect(pauses.length).toBeGreaterThan(10);
    // In pauses the band stays where the input has it (the log floor), within 0.5 (4 dB).
    expect(Math.abs(level(output, pauses) - level(input, pauses))).toBeLessThan(0.5);
    // In speech it is filled at bob's level: far above the floor (5 nepers = 43 dB).
    expect(level(output, speech) - level(input, speech)).toBeGreaterThan(5);
    // ...and it rises and falls with the input's 3-3.8 kHz band (a fricative, a closure), frame by frame.
    const top = Array.from({ length: CFG.nMels }, (_, r) => r).filter((r) => centre(r) > 3000 && centre(r) < 3800);
    const at = (spec: Spectrogram, bins: number[], t: number) => bins.reduce((a, r) => a + spec.data[r * spec.frames + t], 0) / bins.length;
    expect(correlation(speech.map((t) => at(input, top, t)), speech.map((t) => at(output, empty, t)))).toBeGreaterThan(0.8);
  });
});

describe('fillEmptyBands', () => {
  const spec = (rows: number[][]): Spectrogram => ({ rows: rows.length, frames: rows[0].length, data: Float32Array.from(rows.flat()) });
  // 4 frames; frame 2 is 60 dB below the others (silent).
  const inputLogMel = spec([[0, 0, -14, 0]]);

  it("gives an empty bin the input's value in silent frames and leaves every other bin, with too few recorded bins to follow", () => {
    // Bin 1 has no spread, bin 2 a little; bin 0 is the only recorded one.
    const input = spec([[1, 1, 1, 1], [-11, -11, -11, -11], [2, 2, 2, 2]]);
    const stats = { mean: new Float32Array([0, -11, 0]), std: new Float32Array([1, EMPTY_BIN_SPREAD / 2, EMPTY_BIN_SPREAD * 2]) };
    const converted = spec([[5, 5, 5, 5], [3, 3, 3, 3], [4, 4, 4, 4]]);
    fillEmptyBands(converted, input, spec([[0, 0, -14, 0], [0, 0, -14, 0], [0, 0, -14, 0]]), stats);
    expect(Array.from(converted.data)).toEqual([5, 5, 5, 5, 3, 3, -11, 3, 4, 4, 4, 4]);
  });

  it('moves the fill of an empty bin with the mean of the highest recorded bins about its speech mean, never below the input', () => {
    // GUIDE_BINS + 1 recorded bins (the lowest is not a guide), then two empty bins.
    const recorded = GUIDE_BINS + 1;
    const guide = [0, 2, -30, -2]; // their level per frame: the speech frames (0, 1, 3) average 0
    const input = spec([...Array.from({ length: recorded }, (_, r) => (r === 0 ? [9, 9, 9, 9] : guide)), [-11, -11, -11, -11], [-11, -11, -11, -11]]);
    const std = Float32Array.from([...Array.from({ length: recorded }, () => RECORDED_BIN_SPREAD), 0, 0]);
    const converted = spec([...Array.from({ length: recorded }, () => [7, 7, 7, 7]), [3, 3, 3, 3], [-9, -9, -9, -9]]);
    fillEmptyBands(converted, input, inputLogMel, { mean: new Float32Array(std.length), std });
    const rows = Array.from({ length: std.length }, (_, r) => Array.from(converted.data.subarray(r * 4, r * 4 + 4)));
    for (let r = 0; r < recorded; r++) expect(rows[r]).toEqual([7, 7, 7, 7]);
    expect(rows[recorded]).toEqual([3, 5, -11, 1]);
    expect(rows[recorded + 1]).toEqual([-9, -7, -11, -11]); // -9 - 2 would be under the input's -11
  });

  it('refuses spectrograms of different shapes', () => {
    const stats = { mean: new Float32Array(1), std: new Float32Array(1) };
    expect(() => fillEmptyBands(spec([[1, 2, 3]]), spec([[1, 2, 3, 4]]), inputLogMel, stats)).toThrow(/shapes differ/);
  });
});

/** Pearson correlation of two equally long series. */
function correlation(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
