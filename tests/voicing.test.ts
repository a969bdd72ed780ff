import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, type Spectrogram } from '../src/audio/config.js';
import { spectralEnvelope } from '../src/audio/envelope.js';
import { logMelSpectrogram } from '../src/audio/features.js';
import { loadAudio } from '../src/audio/load.js';
import { fillPitch, trackPitch } from '../src/audio/pitch.js';
import { computeSpeakerStats } from '../src/model/normalization.js';
import { fitVoicingClassifier, isVoicingClassifier, voicingAccuracy, voicingProbability } from '../src/model/voicing.js';

const CFG = DEFAULT_FEATURE_CONFIG;

/** Envelope and front-end voicing of a recording. */
function analyse(path: string): { envelope: Spectrogram; voiced: Uint8Array } {
  const x = loadAudio(path, CFG.sampleRate).samples;
  return { envelope: spectralEnvelope(logMelSpectrogram(x, CFG)), voiced: trackPitch(x, CFG).voiced };
}

describe('voicing classifier', () => {
  // Fitted on six of alice's training recordings, judged on three dev sentences it never saw.
  const train = readdirSync('samples/alice').filter((f) => f.endsWith('.wav')).sort().slice(0, 6).map((f) => analyse(join('samples/alice', f)));
  const held = ['dev01', 'dev02', 'dev03'].map((n) => analyse(`samples/dev/alice/${n}.wav`));
  const stats = computeSpeakerStats(train.map((u) => u.envelope));

  it("learns which envelopes the speaker voices: held-out frames classified like the pitch tracker's decisions", () => {
    const classifier = fitVoicingClassifier(train.map((u) => u.envelope), train.map((u) => u.voiced), stats);
    let frames = 0;
    let voicedSaid = 0;
    for (const u of held) {
      const p = voicingProbability(classifier, u.envelope, stats);
      for (let t = 0; t < p.length; t++) voicedSaid += p[t] > 0.5 ? 1 : 0;
      frames += p.length;
    }
    // A classifier that ignored the envelope would say "voiced" everywhere (about 0.7 right).
    expect(voicingAccuracy(classifier, held.map((u) => u.envelope), held.map((u) => u.voiced), stats)).toBeGreaterThan(0.9);
    expect(voicedSaid / frames).toBeGreaterThan(0.4);
    expect(voicedSaid / frames).toBeLessThan(0.9);
    // Deterministic, and stored as plain numbers a model file can hold.
    expect(fitVoicingClassifier(train.map((u) => u.envelope), train.map((u) => u.voiced), stats)).toEqual(classifier);
    expect(isVoicingClassifier(JSON.parse(JSON.stringify(classifier)), CFG.nMels)).toBe(true);
  });

  it('refuses damaged classifiers: wrong weight count, non-finite values', () => {
    const good = { context: 1, weights: new Array(3 * 80).fill(0.1), bias: 0 };
    expect(isVoicingClassifier(good, 80)).toBe(true);
    expect(isVoicingClassifier({ ...good, weights: good.weights.slice(1) }, 80)).toBe(false);
    expect(isVoicingClassifier({ ...good, bias: 'x' }, 80)).toBe(false);
    expect(isVoicingClassifier({ ...good, weights: [...good.weights.slice(1), null] }, 80)).toBe(false);
    expect(isVoicingClassifier({ ...good, context: -1 }, 80)).toBe(false);
    expect(isVoicingClassifier(null, 80)).toBe(false);
  });
});

describe('fillPitch', () => {
  it('keeps known F0, interpolates new voiced frames log-linearly between neighbours, holds at the ends, zeroes unvoiced frames', () => {
    const f0 = Float64Array.from([0, 0, 100, 0, 0, 0, 400, 0, 0]);
    const voiced = [1, 0, 1, 1, 0, 1, 1, 0, 1];
    const out = fillPitch(f0, voiced, 150);
    expect(out[0]).toBe(100); // before the first known frame: held
    expect(out[1]).toBe(0);
    expect(out[2]).toBe(100);
    expect(out[3]).toBeCloseTo(100 * 4 ** (1 / 4), 9); // a quarter of the way from 100 to 400 in log
    expect(out[4]).toBe(0);
    expect(out[5]).toBeCloseTo(100 * 4 ** (3 / 4), 9);
    expect(out[6]).toBe(400);
    expect(out[7]).toBe(0);
    expect(out[8]).toBe(400); // after the last: held
    expect(Array.from(fillPitch(new Float64Array(3), [1, 0, 1], 150))).toEqual([150, 0, 150]);
    // Frames the input voices but the decision does not are unvoiced.
    expect(fillPitch(Float64Array.from([120, 130]), [0, 1], 150)[0]).toBe(0);
    expect(() => fillPitch(new Float64Array(3), [1], 150)).toThrow(/3 F0 frames, 1 voicing/);
  });
});
