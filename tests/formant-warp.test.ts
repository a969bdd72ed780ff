import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, type Spectrogram } from '../src/audio/config.js';
import { formantRatioForPitch, SAME_SEX_PITCH_SPAN, warpBins, warpEnvelope } from '../src/audio/formant-warp.js';
import { hzToMel, melFrequencies, melToHz } from '../src/audio/melscale.js';

const CFG = DEFAULT_FEATURE_CONFIG;
const CENTRES = melFrequencies(CFG.nMels + 2, CFG.fMin, CFG.fMax).subarray(1, CFG.nMels + 1);

/** A log-mel envelope of `frames` identical frames with one formant (a peak on the mel axis) at `hz`. */
function formantEnvelope(hz: number, frames = 3): Spectrogram {
  const data = new Float32Array(CFG.nMels * frames);
  for (let r = 0; r < CFG.nMels; r++) {
    const d = (hzToMel(CENTRES[r]) - hzToMel(hz)) / 2; // about 4 bins wide
    data.fill(-4 + 3 * Math.exp(-d * d), r * frames, (r + 1) * frames);
  }
  return { rows: CFG.nMels, frames, data };
}

/** The peak frequency of frame t, by a parabola through the highest bin and its neighbours on the mel axis. */
export function peakHz(spec: Spectrogram, t = 0): number {
  let best = 1;
  for (let r = 1; r < spec.rows - 1; r++) if (spec.data[r * spec.frames + t] > spec.data[best * spec.frames + t]) best = r;
  const [y0, y1, y2] = [best - 1, best, best + 1].map((r) => spec.data[r * spec.frames + t]);
  const offset = (0.5 * (y0 - y2)) / (y0 - 2 * y1 + y2);
  const m0 = hzToMel(CENTRES[best]);
  const step = hzToMel(CENTRES[best + 1]) - m0;
  return melToHz(m0 + offset * step);
}

describe('formant warping', () => {
  it.each([
    [700, 0.8],
    [700, 1.25],
    [1800, 0.877],
    [2500, 1.15],
  ])('moves a formant at %i Hz by the ratio %f (within 1%%)', (hz, ratio) => {
    const input = formantEnvelope(hz);
    expect(peakHz(input) / hz).toBeCloseTo(1, 2);
    const out = warpEnvelope(input, ratio, CFG);
    for (let t = 0; t < input.frames; t++) expect(Math.abs(peakHz(out, t) / (hz * ratio) - 1)).toBeLessThan(0.01);
  });

  it('ratio 1 is an exact copy, and a ratio and its inverse undo each other away from the band edges', () => {
    const input = formantEnvelope(1200);
    const copy = warpEnvelope(input, 1, CFG);
    expect(copy.data).toEqual(input.data);
    expect(copy.data).not.toBe(input.data);
    const back = warpEnvelope(warpEnvelope(input, 0.85, CFG), 1 / 0.85, CFG);
    for (let r = 5; r < 70; r++) expect(Math.abs(back.data[r * 3] - input.data[r * 3])).toBeLessThan(0.1); // two linear interpolations round a 3-unit peak by 0.07
  });

  it('holds the edge bins where the source frequency leaves the mel range, and refuses absurd ratios', () => {
    const ramp = Float32Array.from({ length: CFG.nMels }, (_, r) => r);
    const down = warpBins(ramp, 0.8, CFG); // the top bins read from above fMax
    expect(down[CFG.nMels - 1]).toBe(CFG.nMels - 1);
    expect(down[40]).toBeGreaterThan(40); // lower formants: each bin shows what sat higher
    const up = warpBins(ramp, 1.25, CFG); // the bottom bins read from below the first centre
    expect(up[0]).toBe(0);
    expect(up[40]).toBeLessThan(40);
    expect(() => warpBins(ramp, 0.3, CFG)).toThrow(/formant ratio/);
    expect(() => warpBins(ramp, Number.NaN, CFG)).toThrow(/formant ratio/);
  });

  it('keeps the formants for pitch moves within one sex, and moves them as between the sexes beyond that', () => {
    // alice (172 Hz) -> bob (101 Hz): 0.86 (Peterson & Barney: men's formants 1/1.16 = 0.862 of women's at their pitch ratio)
    expect(formantRatioForPitch(Math.log(172), Math.log(101))).toBeCloseTo(0.859, 3);
    expect(formantRatioForPitch(Math.log(223), Math.log(132))).toBeCloseTo(1 / 1.16, 3);
    expect(formantRatioForPitch(Math.log(132), Math.log(223))).toBeCloseTo(1.16, 3);
    expect(formantRatioForPitch(Math.log(101), Math.log(172))).toBeCloseTo(1 / 0.859, 3);
    // Up to 3.5 semitones either way: kept.
    expect(SAME_SEX_PITCH_SPAN).toBe(0.2);
    for (const semitones of [0, 2, -2, 3.4, -3.4]) expect(formantRatioForPitch(Math.log(120), Math.log(120 * 2 ** (semitones / 12)))).toBe(1);
    // A 130 Hz man to bob: nearly kept. Continuous at the span's edge, monotone beyond it.
    expect(formantRatioForPitch(Math.log(130), Math.log(103))).toBeCloseTo(0.985, 3);
    let previous = 1;
    for (let st = 3.5; st < 24; st += 0.5) {
      const r = formantRatioForPitch(0, (st / 12) * Math.log(2));
      expect(r).toBeGreaterThanOrEqual(previous);
      expect(r - previous).toBeLessThan(0.03);
      previous = r;
    }
    // A vocal tract does not double.
    expect(formantRatioForPitch(Math.log(60), Math.log(900))).toBe(2);
  });
});
