import { describe, expect, it } from 'vitest';
import type { Spectrogram } from '../src/audio/config.js';
import {
  computeSpeakerStats,
  denormalizeLogMel,
  normalizeLogMel,
  voicedFrameMask,
} from '../src/model/normalization.js';

function spec(rows: number, frames: number, f: (r: number, t: number) => number): Spectrogram {
  const data = new Float32Array(rows * frames);
  for (let r = 0; r < rows; r++) for (let t = 0; t < frames; t++) data[r * frames + t] = f(r, t);
  return { data, rows, frames };
}

describe('speaker statistics', () => {
  it('computes per-bin mean and std, leaving silent frames out', () => {
    // Frames 0-9 are "voice" (bin r alternates r and r+2), frames 10-19 are the log floor.
    const u = spec(3, 20, (r, t) => (t < 10 ? r + (t % 2 === 0 ? 0 : 2) : Math.log(1e-5)));
    const withSilence = computeSpeakerStats([u], { silenceDb: 0 });
    const voiceOnly = computeSpeakerStats([u], { silenceDb: 40 });
    for (let r = 0; r < 3; r++) {
      expect(voiceOnly.mean[r]).toBeCloseTo(r + 1, 5);
      expect(voiceOnly.std[r]).toBeCloseTo(1, 5);
    }
    expect(withSilence.mean[0]).toBeLessThan(-4);
    expect(Array.from(voicedFrameMask(u, 40))).toEqual([...new Array(10).fill(1), ...new Array(10).fill(0)]);
  });

  it('leaves silence out by default: frames more than 40 dB below the utterance\'s loudest frame', () => {
    // The frame level is ln(sum over bins of e^value): lowering every bin by d (natural log
    // units) lowers the level by 20 log10(e^d) dB.
    const below = (db: number) => (db / 20) * Math.LN10;
    const frames = [0, 0, 0, 0, below(39), below(39), below(41), below(41), below(60), below(60)];
    // Two bins whose magnitudes trade places frame by frame (1.5 + 0.5, then 0.5 + 1.5): the
    // values vary, the frame level does not, except by frames[t].
    const u = spec(2, frames.length, (r, t) => Math.log(1 + ((r + t) % 2 === 0 ? 0.5 : -0.5)) - frames[t]!);
    const kept = frames.map((d, t) => d < below(40) ? t : -1).filter((t) => t >= 0);
    expect(kept).toEqual([0, 1, 2, 3, 4, 5]);
    const stats = computeSpeakerStats([u]); // the defaults, as training calls it
    for (let r = 0; r < 2; r++) {
      const values = kept.map((t) => u.data[r * u.frames + t]!);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
      expect(stats.mean[r]).toBeCloseTo(mean, 5);
      expect(stats.std[r]).toBeCloseTo(std, 5);
    }
  });

  it('normalises with the source and de-normalises with the target: the target speaker\'s levels come out', () => {
    const a = { mean: Float32Array.from([1, 2]), std: Float32Array.from([0.5, 2]) };
    const b = { mean: Float32Array.from([-3, 4]), std: Float32Array.from([1, 3]) };
    const x = spec(2, 4, (r, t) => a.mean[r] + a.std[r] * (t - 1.5));
    const z = normalizeLogMel(x, a);
    for (let t = 0; t < 4; t++) expect(z.data[t]).toBeCloseTo(t - 1.5, 6);
    // An identity "network" maps A's frame at +1 std to B's frame at +1 std.
    const y = denormalizeLogMel(z, b);
    for (let r = 0; r < 2; r++) {
      for (let t = 0; t < 4; t++) expect(y.data[r * 4 + t]).toBeCloseTo(b.mean[r] + b.std[r] * (t - 1.5), 5);
    }
    // De-normalising with the source's stats instead would just give the input back.
    expect(Array.from(denormalizeLogMel(z, a).data)).not.toEqual(Array.from(y.data));
  });
});
