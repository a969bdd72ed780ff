import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { discriminatorConvFlops, discriminatorForward, discriminatorLayers, discriminatorOutputShape, createDiscriminator } from '../src/model/discriminator.js';
import { createGenerator, generatorConvFlops, generatorForward, generatorLayers, melEnvelope } from '../src/model/generator.js';
import { conv2d, glu, instanceNorm, pixelShuffle } from '../src/model/layers.js';
import { countParams, disposeNetwork, variableCount } from '../src/model/params.js';
import { configProblem, customConfig, parsePreset, PRESET_NAMES, presetConfig, scaledWidth, upgradeModelConfig, type PresetName } from '../src/model/presets.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// From ../shared/bench/torch_ref (README table and results.json: n_params and conv FLOPs
// of the PyTorch modules, B = 1, T = 64).
const REFERENCE: Record<PresetName, { g: number; d: number; gFlops: number; dFlops: number }> = {
  paper: { g: 19_327_169, d: 22_894_593, gFlops: 15_122_956_288, dFlops: 6_231_654_400 },
  base: { g: 4_846_689, d: 5_729_281, gFlops: 3_842_179_072, dFlops: 1_563_934_720 },
  small: { g: 1_219_121, d: 1_435_137, gFlops: 991_264_768, dFlops: 393_994_240 },
  tiny: { g: 308_505, d: 360_193, gFlops: 263_176_192, dFlops: 100_003_840 },
};

function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

describe('presets and layer specs', () => {
  it.each(PRESET_NAMES)('%s: parameter counts equal the PyTorch reference', (preset) => {
    const config = presetConfig(preset);
    expect(countParams(generatorLayers(config))).toBe(REFERENCE[preset].g);
    expect(countParams(discriminatorLayers(config))).toBe(REFERENCE[preset].d);
  });

  it.each(PRESET_NAMES)('%s: conv FLOPs per forward equal the reference count', (preset) => {
    const config = presetConfig(preset);
    expect(generatorConvFlops(config, 64)).toBe(REFERENCE[preset].gFlops);
    expect(discriminatorConvFlops(config, 64)).toBe(REFERENCE[preset].dFlops);
  });

  it.each(PRESET_NAMES)('%s: discriminator output is [B, 10, T/8] like the reference', (preset) => {
    expect(discriminatorOutputShape(presetConfig(preset), 3, 64)).toEqual([3, 10, 8]);
  });

  it('the tiny preset, built for real, holds exactly the reference parameter count', () => {
    const before = tf.memory().numTensors;
    const config = presetConfig('tiny');
    const g = createGenerator(config, 'G', 1);
    const d = createDiscriminator(config, 'D', 1);
    expect(variableCount(g)).toBe(REFERENCE.tiny.g);
    expect(variableCount(d)).toBe(REFERENCE.tiny.d);
    disposeNetwork(g);
    disposeNetwork(d);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('widths round half to even like Python, and are at least 1', () => {
    expect(scaledWidth(128, 1 / 32)).toBe(4);
    expect(scaledWidth(5, 0.5)).toBe(2); // 2.5 -> 2
    expect(scaledWidth(7, 0.5)).toBe(4); // 3.5 -> 4
    expect(scaledWidth(64, 1 / 3)).toBe(21);
    expect(scaledWidth(64, 1e-6)).toBe(1);
  });

  it('rejects unknown presets and invalid configs with one-line errors', () => {
    expect(() => parsePreset('huge')).toThrow(/unknown preset 'huge' \(expected one of: paper, base, small, tiny\)/);
    expect(() => customConfig(0)).toThrow(/scale must be a positive number/);
    expect(() => customConfig(0.5, 30)).toThrow(/nMels must be a positive multiple of 4/);
  });
});

describe('layers', () => {
  it('instanceNorm normalises each sample and channel over H and W (biased variance), then applies gamma/beta', () => {
    const [b, h, w, c] = [2, 3, 4, 5];
    const x = randn([b, h, w, c], 1);
    const gamma = tf.tensor1d([1, 2, 0.5, -1, 3]);
    const beta = tf.tensor1d([0, 1, -1, 0.5, 2]);
    const got = instanceNorm(x as tf.Tensor4D, gamma, beta).arraySync() as number[][][][];
    const xs = x.arraySync() as number[][][][];
    const g = gamma.arraySync();
    const be = beta.arraySync();
    for (let bi = 0; bi < b; bi++) {
      for (let ci = 0; ci < c; ci++) {
        const vals: number[] = [];
        for (let hi = 0; hi < h; hi++) for (let wi = 0; wi < w; wi++) vals.push(xs[bi]![hi]![wi]![ci]!);
        const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
        const variance = vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length;
        for (let hi = 0; hi < h; hi++) {
          for (let wi = 0; wi < w; wi++) {
            const want = ((xs[bi]![hi]![wi]![ci]! - mean) / Math.sqrt(variance + 1e-5)) * g[ci]! + be[ci]!;
            expect(got[bi]![hi]![wi]![ci]!).toBeCloseTo(want, 4);
          }
        }
      }
    }
  });

  it('glu multiplies the first channel half by the sigmoid of the second', () => {
    const x = tf.tensor4d([1, 2, 3, -4, 0.5, 6], [1, 1, 1, 6]);
    const got = glu(x).dataSync();
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    expect(Array.from(got)).toEqual([1 * sig(-4), 2 * sig(0.5), 3 * sig(6)].map((v) => expect.closeTo(v, 6)));
  });

  it("pixelShuffle follows torch's ordering: channel c*r*r + i*r + j -> pixel (h*r+i, w*r+j)", () => {
    const [b, h, w, c, r] = [2, 3, 2, 3, 2];
    const x = tf.range(0, b * h * w * c * r * r).reshape([b, h, w, c * r * r]) as tf.Tensor4D;
    const out = pixelShuffle(x, r);
    expect(out.shape).toEqual([b, h * r, w * r, c]);
    const xs = x.arraySync();
    const ys = out.arraySync();
    for (let bi = 0; bi < b; bi++)
      for (let hi = 0; hi < h; hi++)
        for (let wi = 0; wi < w; wi++)
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < r; i++)
              for (let j = 0; j < r; j++) {
                expect(ys[bi]![hi * r + i]![wi * r + j]![ci]).toBe(xs[bi]![hi]![wi]![ci * r * r + i * r + j]);
              }
  });

  it('pixelShuffle has a gradient (the inverse permutation)', () => {
    const x = randn([1, 2, 3, 8], 2) as tf.Tensor4D;
    const weights = randn([1, 4, 6, 2], 3);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pixelShuffle(t as tf.Tensor4D, 2), weights)))(x);
    // d/dx of sum(shuffle(x) * w) is unshuffle(w): shuffling it back must give w again.
    expect(pixelShuffle(dx as tf.Tensor4D, 2).dataSync()).toEqual(weights.dataSync());
  });

  it("strided convs pad like torch (top/left = 2 for k5 s2 p2), not like tfjs 'same'", () => {
    // A kernel whose only tap is its top-left corner picks row 2*o - 2 (zero in the
    // padding). Rows hold 1..8, so torch gives [0, 1, 3, 5]; tfjs 'same' (1 row on top)
    // would give [0, 2, 4, 6].
    const x = tf.range(1, 9).reshape([1, 8, 1, 1]) as tf.Tensor4D;
    const kernel = tf.buffer([5, 1, 1, 1]);
    kernel.set(1, 0, 0, 0, 0);
    const out = conv2d(x, kernel.toTensor() as tf.Tensor4D, tf.zeros([1]), [2, 1], [[2, 2], [0, 0]]);
    expect(Array.from(out.dataSync())).toEqual([0, 1, 3, 5]);
  });
});

describe('networks', () => {
  const config = customConfig(1 / 32);

  it('the generator maps [B, 80, T] to [B, 80, T] and the discriminator to [B, 10, T/8]', () => {
    const before = tf.memory().numTensors;
    const g = createGenerator(config, 'G', 7);
    const d = createDiscriminator(config, 'D', 7);
    tf.tidy(() => {
      const x = randn([2, 80, 16], 4) as tf.Tensor3D;
      expect(generatorForward(g, x).shape).toEqual([2, 80, 16]);
      expect(discriminatorForward(d, x).shape).toEqual(discriminatorOutputShape(config, 2, 16));
      expect(discriminatorForward(d, x).shape).toEqual([2, 10, 2]);
    });
    disposeNetwork(g);
    disposeNetwork(d);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads configs saved before the input skip and the domain existed as without a skip, mapping log-mels; rejects bad values', () => {
    const old = { preset: 'small', scale: 0.25, nMels: 80, nResBlocks: 6 };
    expect(configProblem(old)).toMatch(/inputSkip/);
    expect(upgradeModelConfig(old)).toEqual({ ...old, inputSkip: 'none', domain: 'log-mel' });
    expect(configProblem(upgradeModelConfig(old))).toBeNull();
    expect(configProblem({ ...old, inputSkip: 'yes', domain: 'envelope' })).toMatch(/inputSkip must be one of none, input, envelope/);
    expect(configProblem({ ...old, inputSkip: 'none', domain: 'cepstrum' })).toMatch(/domain must be one of log-mel, envelope/);
    expect(configProblem({ ...old, inputSkip: 'transport', domain: 'log-mel' })).toMatch(/transport skip maps spectral envelopes/);
    expect(configProblem({ ...old, inputSkip: 'transport', domain: 'envelope' })).toBeNull();
    expect(upgradeModelConfig({ ...old, inputSkip: 'envelope' })).toEqual({ ...old, inputSkip: 'envelope', domain: 'log-mel' });
    // A config of today is left as it is, key order included (resume compares configs as JSON).
    const today = presetConfig('small');
    expect(JSON.stringify(upgradeModelConfig(today))).toBe(JSON.stringify(today));
  });

  it('with the input skip, the generator adds its input to what it computes', () => {
    const g = createGenerator(config, 'G', 3);
    tf.tidy(() => {
      const x = randn([1, 80, 16], 9) as tf.Tensor3D;
      const plain = generatorForward(g, x);
      const skipped = generatorForward(g, x, 'input');
      expect(tf.max(tf.abs(tf.sub(skipped, tf.add(plain, x)))).dataSync()[0]).toBeLessThan(1e-5);
      const enveloped = generatorForward(g, x, 'envelope');
      expect(tf.max(tf.abs(tf.sub(enveloped, tf.add(plain, melEnvelope(x))))).dataSync()[0]).toBeLessThan(1e-5);
      // The transport skip: every frame (a column of x) mapped by the matrix, output bin j = Σ_i x_i m[i][j].
      const m = randn([80, 80], 4).dataSync() as Float32Array;
      const transported = generatorForward(g, x, 'transport', m);
      const mapped = tf.transpose(tf.matMul(tf.transpose(tf.reshape(x, [80, 16])), tf.tensor2d(m, [80, 80])));
      expect(tf.max(tf.abs(tf.sub(tf.reshape(transported, [80, 16]), tf.add(tf.reshape(plain, [80, 16]), mapped)))).dataSync()[0]).toBeLessThan(1e-4);
      expect(() => generatorForward(g, x, 'transport')).toThrow(/needs a 80 x 80 map/);
    });
    disposeNetwork(g);
  });

  it('the envelope keeps levels and slow shapes across mel bins and removes a harmonic ripple', () => {
    const mels = 80;
    const frames = 4;
    const make = (f: (bin: number) => number) => {
      const data = new Float32Array(mels * frames);
      for (let m = 0; m < mels; m++) data.fill(f(m), m * frames, (m + 1) * frames);
      return tf.tensor3d(data, [1, mels, frames]);
    };
    tf.tidy(() => {
      const constant = melEnvelope(make(() => 2.5)).dataSync();
      for (const v of constant) expect(v).toBeCloseTo(2.5, 5); // renormalised at the edges too
      const slope = melEnvelope(make((m) => 0.1 * m)).dataSync();
      expect(slope[40 * frames]).toBeCloseTo(4, 4); // a linear trend passes unchanged inside
      // A formant-like bump 12 bins wide keeps most of its height...
      const bump = melEnvelope(make((m) => Math.exp(-(((m - 40) / 6) ** 2)))).dataSync();
      expect(bump[40 * frames]).toBeGreaterThan(0.8);
      // ...while harmonic ripples of 4.6 bins (172 Hz) and 2.7 bins (103 Hz) nearly vanish.
      for (const period of [4.6, 2.7]) {
        const ripple = melEnvelope(make((m) => Math.cos((2 * Math.PI * m) / period))).dataSync();
        let peak = 0;
        for (let m = 10; m < 70; m++) peak = Math.max(peak, Math.abs(ripple[m * frames]!));
        expect(peak, `period ${period}`).toBeLessThan(0.1);
      }
    });
  });

  it('initialisation is deterministic for a seed, distinct per network, and torch-like', () => {
    const a = createGenerator(config, 'G_AB', 5);
    const b = createGenerator(config, 'G_AB', 5);
    const c = createGenerator(config, 'G_BA', 5);
    const kernel = (n: typeof a) => n.vars.get('down1/conv/kernel')!.dataSync();
    expect(kernel(a)).toEqual(kernel(b));
    expect(kernel(a)).not.toEqual(kernel(c));
    // torch's Conv default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in * kh * kw
    const bound = 1 / Math.sqrt(scaledWidth(128, config.scale) * 25);
    const values = Array.from(kernel(a));
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Array.from(a.vars.get('down1/norm/gamma')!.dataSync()).every((v) => v === 1)).toBe(true);
    expect(Array.from(a.vars.get('down1/norm/beta')!.dataSync()).every((v) => v === 0)).toBe(true);
    for (const n of [a, b, c]) disposeNetwork(n);
  });

  it('the generator rejects inputs whose frames are not a multiple of 4', () => {
    const g = createGenerator(config, 'G', 1);
    const x = tf.zeros([1, 80, 18]) as tf.Tensor3D;
    expect(() => generatorForward(g, x)).toThrow(/divisible by 4/);
    x.dispose();
    disposeNetwork(g);
  });
});
