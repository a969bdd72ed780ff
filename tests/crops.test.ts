import { describe, expect, it } from 'vitest';
import type { Spectrogram } from '../src/audio/config.js';
import { sampleCrops } from '../src/train/crops.js';
import { Random } from '../src/util/random.js';

function ramp(rows: number, frames: number, base: number): Spectrogram {
  const data = new Float32Array(rows * frames);
  for (let r = 0; r < rows; r++) for (let t = 0; t < frames; t++) data[r * frames + t] = base + 1000 * r + t;
  return { data, rows, frames };
}

describe('sampleCrops', () => {
  it('takes contiguous crops of the requested length from long utterances', () => {
    const u = ramp(3, 50, 0);
    const crops = sampleCrops([u], new Float32Array(3), 4, 16, new Random(1));
    expect(crops.data.length).toBe(4 * 3 * 16);
    for (let b = 0; b < 4; b++) {
      const start = crops.data[b * 48];
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start).toBeLessThanOrEqual(50 - 16);
      for (let r = 0; r < 3; r++) for (let t = 0; t < 16; t++) expect(crops.data[b * 48 + r * 16 + t]).toBe(1000 * r + start + t);
    }
  });

  it('pads short utterances with the per-bin silence value instead of dropping them', () => {
    const u = ramp(2, 5, 100);
    const pad = Float32Array.from([-7, -8]);
    const crops = sampleCrops([u], pad, 8, 12, new Random(3));
    const offsets = new Set<number>();
    for (let b = 0; b < 8; b++) {
      const row0 = Array.from(crops.data.subarray(b * 24, b * 24 + 12));
      const offset = row0.indexOf(100);
      offsets.add(offset);
      expect(row0.slice(offset, offset + 5)).toEqual([100, 101, 102, 103, 104]);
      expect(row0.filter((v) => v === -7).length).toBe(7);
      const row1 = Array.from(crops.data.subarray(b * 24 + 12, b * 24 + 24));
      expect(row1.filter((v) => v === -8).length).toBe(7);
    }
    expect(offsets.size).toBeGreaterThan(1);
  });

  it('is deterministic for a seed', () => {
    const us = [ramp(2, 30, 0), ramp(2, 40, 5000)];
    const a = sampleCrops(us, new Float32Array(2), 3, 8, new Random(9));
    const b = sampleCrops(us, new Float32Array(2), 3, 8, new Random(9));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});
