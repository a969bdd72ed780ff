import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG } from '../src/audio/config.js';
import { cleanPitchTrack, mapF0, pitchStats, pitchTrackFromF0, trackPitch, type F0Track } from '../src/audio/pitch.js';
import { loadAudio } from '../src/audio/load.js';
import { resample } from '../src/audio/resample.js';
import { harmonicTone } from './helpers/signals.js';

const CFG = DEFAULT_FEATURE_CONFIG;
const SR = CFG.sampleRate;

function track(f0: number[]): F0Track {
  return pitchTrackFromF0(Float64Array.from(f0), CFG);
}

describe('cleanPitchTrack', () => {
  it('moves a frame an octave off its neighbourhood back by an octave (both ways)', () => {
    const f0 = Array.from({ length: 40 }, () => 150);
    f0[10] = 300; // YIN picked half the period
    f0[20] = 75; // YIN picked twice the period
    const cleaned = cleanPitchTrack(track(f0));
    expect(cleaned.f0Hz[10]).toBeCloseTo(150, 6);
    expect(cleaned.f0Hz[20]).toBeCloseTo(150, 6);
  });

  it('keeps a real glide (no octave folding of a gradual rise)', () => {
    const f0 = Array.from({ length: 60 }, (_, t) => 120 * 2 ** (t / 60)); // one octave over 60 frames
    const cleaned = cleanPitchTrack(track(f0));
    for (let t = 1; t < 59; t++) expect(Math.abs(Math.log2(cleaned.f0Hz[t] / f0[t]))).toBeLessThan(0.01);
  });

  it('unvoices blips shorter than 3 frames and bridges gaps of up to 2 frames', () => {
    const f0 = [0, 0, 200, 0, 0, 0, 150, 150, 150, 0, 0, 160, 160, 160, 0, 0, 0];
    const cleaned = cleanPitchTrack(track(f0));
    expect(cleaned.voiced[2]).toBe(0);
    expect(cleaned.f0Hz[2]).toBe(0);
    expect(Array.from(cleaned.voiced.subarray(6, 14))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    // log-linear between 150 and 160
    expect(cleaned.f0Hz[9]).toBeGreaterThan(150);
    expect(cleaned.f0Hz[10]).toBeLessThan(160);
    expect(cleaned.voiced[15]).toBe(0);
  });
});

describe('trackPitch (the front end)', () => {
  it('gives one F0 per log-mel frame, within 1% on a harmonic tone, 65-400 Hz', () => {
    for (const hz of [65, 100, 220, 400]) {
      const x = harmonicTone(1, () => hz, 10, SR);
      const p = trackPitch(x, CFG);
      expect(p.f0Hz.length).toBe(1 + Math.floor(x.length / CFG.hopLength));
      const inner = Array.from(p.f0Hz.subarray(5, p.f0Hz.length - 5));
      expect(inner.every((f) => Math.abs(f / hz - 1) < 0.01)).toBe(true);
    }
  });

  it('tracks telephone speech (8 kHz, 300-3400 Hz band, no fundamental) without octave errors', () => {
    // A 120 Hz voice whose harmonics below 300 Hz are removed, as a phone line does.
    const x8k = harmonicTone(1.5, (t) => 120 + 20 * Math.sin(2 * Math.PI * t), 28, 8000, (k) => (k * 120 >= 300 && k * 120 <= 3400 ? 1 / Math.sqrt(k) : 0));
    const p = trackPitch(resample(x8k, 8000, SR), CFG);
    const voiced = Array.from(p.f0Hz).filter((f) => f > 0);
    expect(voiced.length).toBeGreaterThan(0.9 * p.f0Hz.length);
    expect(voiced.every((f) => f > 90 && f < 150)).toBe(true);
  });

  it('keeps most of a real recording voiced where evaluation tracking does', () => {
    const x = loadAudio('tests/fixtures/speech_male.wav', SR).samples;
    const p = trackPitch(x, CFG);
    const share = p.voiced.reduce((a, v) => a + v, 0) / p.voiced.length;
    expect(share).toBeGreaterThan(0.3);
    const stats = pitchStats([p])!;
    expect(Math.exp(stats.logMean)).toBeGreaterThan(70);
    expect(Math.exp(stats.logMean)).toBeLessThan(180);
  });
});

describe('log-Gaussian F0 mapping', () => {
  it("maps ln F0 linearly from one speaker's mean and spread to another's, and leaves 0 unvoiced", () => {
    const from = { logMean: Math.log(200), logStd: 0.1, voicedFrames: 100 };
    const to = { logMean: Math.log(100), logStd: 0.2, voicedFrames: 100 };
    const out = mapF0(Float64Array.from([200, 200 * Math.exp(0.1), 0, 200 * Math.exp(-0.05)]), from, to);
    expect(out[0]).toBeCloseTo(100, 9);
    expect(out[1]).toBeCloseTo(100 * Math.exp(0.2), 9);
    expect(out[2]).toBe(0);
    expect(out[3]).toBeCloseTo(100 * Math.exp(-0.1), 9);
    const shifted = mapF0(Float64Array.from([200]), from, to, 2 ** (3 / 12));
    expect(shifted[0]).toBeCloseTo(100 * 2 ** (3 / 12), 9);
  });

  it('pitchStats pools ln F0 over the voiced frames of several tracks', () => {
    const s = pitchStats([track([100, 0, 100]), track([400, 0])])!;
    expect(s.voicedFrames).toBe(3);
    const logs = [Math.log(100), Math.log(100), Math.log(400)];
    const mean = logs.reduce((a, b) => a + b) / 3;
    expect(s.logMean).toBeCloseTo(mean, 12);
    expect(s.logStd).toBeCloseTo(Math.sqrt(logs.reduce((a, v) => a + (v - mean) ** 2, 0) / 3), 12);
    expect(pitchStats([track([0, 0, 120])])).toBeNull();
  });
});
