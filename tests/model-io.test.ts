import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError } from '../src/errors.js';
import { createDiscriminator } from '../src/model/discriminator.js';
import { createGenerator, generatorForward } from '../src/model/generator.js';
import { float16ToFloat32, float32ToFloat16 } from '../src/io/float16.js';
import { loadModel, saveModel } from '../src/model/io.js';
import { loadTrainerState, saveTrainerState } from '../src/train/trainer-state.js';
import { disposeNetwork, type Network } from '../src/model/params.js';
import { customConfig } from '../src/model/presets.js';
import { CycleGanTrainer } from '../src/train/step.js';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'voiceswap-model-io-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = customConfig(1 / 32);
const extra = { features: { sampleRate: 22050, nMels: 80 }, stats: { mean: [0.5, -1], std: [2, 3] } };

function values(net: Network): Map<string, Float32Array> {
  return new Map([...net.vars].map(([n, v]) => [n, v.dataSync() as Float32Array]));
}

function disposeAll(nets: Iterable<Network>): void {
  for (const n of nets) disposeNetwork(n);
}

describe('float16 conversion', () => {
  it('encodes exact values, rounds to nearest even, and handles the edges', () => {
    const input = new Float32Array([0, -0, 1, -2, 0.5, 65504, 65520, 1e9, 2 ** -14, 2 ** -24, 2 ** -25, 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity]);
    const bits = Array.from(float32ToFloat16(input));
    expect(bits).toEqual([
      0x0000, 0x8000, 0x3c00, 0xc000, 0x3800, 0x7bff,
      0x7c00, 0x7c00, // 65520 rounds up to infinity; large values overflow
      0x0400, 0x0001, // smallest normal and smallest subnormal
      0x0000, 0x0000, // 2^-25 is a tie: rounds to even (0); 2^-26 underflows
      0x3c00, 0x3c02, // 1 + half an ulp: tie to even (1.0); 1 + 1.5 ulp: rounds up to 1 + 2 ulp
      0x7c00, 0xfc00,
    ]);
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16(new Float32Array([NaN])))[0])).toBe(true);
    const decoded = Array.from(float16ToFloat32(Uint16Array.from(bits)));
    expect(decoded.slice(0, 6)).toEqual([0, -0, 1, -2, 0.5, 65504]);
    expect(decoded[9]).toBe(2 ** -24);
  });

  it('round-trips random values within half a float16 ulp', () => {
    const x = tf.randomNormal([1000], 0, 1, 'float32', 9).dataSync() as Float32Array;
    const back = float16ToFloat32(float32ToFloat16(x));
    x.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25));
  });
});

describe('saveModel / loadModel', () => {
  it('round-trips networks, config and extra exactly, and the forward pass is identical', async () => {
    const g = createGenerator(config, 'G_AB', 1);
    const d = createDiscriminator(config, 'D_A', 1);
    const dir = join(root, 'exact');
    await saveModel(dir, config, [g, d], { extra });
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(root).filter((n) => n.includes('.tmp') || n.includes('.old'))).toEqual([]);

    const loaded = loadModel(dir);
    expect(loaded.config).toEqual(config);
    expect(loaded.extra).toEqual(extra);
    expect([...loaded.networks.keys()]).toEqual(['G_AB', 'D_A']);
    const g2 = loaded.networks.get('G_AB')!;
    expect(values(g2)).toEqual(values(g));
    expect(values(loaded.networks.get('D_A')!)).toEqual(values(d));
    tf.tidy(() => {
      const x = tf.randomNormal([1, 80, 16], 0, 1, 'float32', 2) as tf.Tensor3D;
      expect(generatorForward(g2, x).dataSync()).toEqual(generatorForward(g, x).dataSync());
    });

    const onlyG = loadModel(dir, ['G_AB']);
    expect([...onlyG.networks.keys()]).toEqual(['G_AB']);
    disposeAll([g, d, ...loaded.networks.values(), ...onlyG.networks.values()]);
  });

  it('stores float16 weights in about half the bytes, loading to within float16 rounding', async () => {
    const g = createGenerator(config, 'G_AB', 2);
    await saveModel(join(root, 'f32'), config, [g]);
    await saveModel(join(root, 'f16'), config, [g], { float16: true });
    const size = (dir: string) => readFileSync(join(root, dir, 'weights.bin')).length;
    expect(size('f16')).toBeLessThan(0.52 * size('f32'));
    const g16 = loadModel(join(root, 'f16')).networks.get('G_AB')!;
    const want = values(g);
    for (const [name, got] of values(g16)) {
      want.get(name)!.forEach((v, i) => expect(Math.abs(got[i]! - v), name).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25));
    }
    tf.tidy(() => {
      const x = tf.randomNormal([1, 80, 16], 0, 1, 'float32', 3) as tf.Tensor3D;
      const y = generatorForward(g, x);
      const diff = tf.max(tf.abs(tf.sub(generatorForward(g16, x), y))).dataSync()[0]!;
      const scale = tf.max(tf.abs(y)).dataSync()[0]!;
      expect(diff / scale).toBeLessThan(1e-2);
    });
    disposeAll([g, g16]);
  });

  it('replaces an existing model directory but refuses to replace anything else', async () => {
    const g = createGenerator(config, 'G_AB', 3);
    const h = createGenerator(config, 'G_AB', 4);
    const dir = join(root, 'replace');
    await saveModel(dir, config, [g]);
    await saveModel(dir, config, [h]);
    const back = loadModel(dir).networks.get('G_AB')!;
    expect(values(back)).toEqual(values(h));

    const other = join(root, 'not-a-model');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'keep me');
    await expect(saveModel(other, config, [g])).rejects.toThrow(/not-a-model: exists and is not a model directory \(no model.json\); refusing to replace it/);
    expect(readFileSync(join(other, 'notes.txt'), 'utf8')).toBe('keep me');
    disposeAll([g, h, back]);
  });

  describe('errors name the file and the problem', () => {
    let dir: string;
    const jsonPath = () => join(dir, 'model.json');
    const editJson = (edit: (j: Record<string, any>) => void) => {
      const j = JSON.parse(readFileSync(jsonPath(), 'utf8'));
      edit(j);
      writeFileSync(jsonPath(), JSON.stringify(j));
    };
    const fileError = (fn: () => unknown, message: RegExp) => {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(FileError);
      expect((caught as Error).message).toMatch(message);
    };

    beforeAll(async () => {
      const g = createGenerator(config, 'G_AB', 5);
      dir = join(root, 'errors-src');
      await saveModel(dir, config, [g]);
      disposeNetwork(g);
    });

    const broken = async (name: string, damage: () => void) => {
      const src = dir;
      const copy = join(root, name);
      mkdirSync(copy);
      for (const f of readdirSync(src)) writeFileSync(join(copy, f), readFileSync(join(src, f)));
      dir = copy;
      damage();
      return () => {
        dir = src;
      };
    };

    it('missing directory or model.json', () => {
      fileError(() => loadModel(join(root, 'nowhere')), /nowhere: no such model directory$/);
      const empty = join(root, 'empty');
      mkdirSync(empty);
      fileError(() => loadModel(empty), /empty\/model.json: missing: not a voiceswap model directory$/);
    });

    it('corrupt JSON, wrong format, wrong version', async () => {
      const restore = await broken('bad-json', () => writeFileSync(jsonPath(), '{"format": '));
      fileError(() => loadModel(dir), /bad-json\/model.json: is not valid JSON/);
      restore();
      const restore2 = await broken('wrong-format', () => editJson((j) => (j.format = 'keras')));
      fileError(() => loadModel(dir), /wrong-format\/model.json: is not a voiceswap model \(format "keras", expected "voiceswap-cyclegan"\)$/);
      restore2();
      const restore3 = await broken('wrong-version', () => editJson((j) => (j.version = 2)));
      fileError(() => loadModel(dir), /wrong-version\/model.json: has format version 2; this voiceswap reads version 1$/);
      restore3();
    });

    it('missing or truncated weights', async () => {
      const restore = await broken('no-weights', () => rmSync(join(dir, 'weights.bin')));
      fileError(() => loadModel(dir), /no-weights\/weights.bin: missing: the model has no weights$/);
      restore();
      const restore2 = await broken('short-weights', () => truncateSync(join(dir, 'weights.bin'), 100));
      fileError(() => loadModel(dir), /short-weights\/weights.bin: has 100 bytes, model.json expects \d+ \(truncated or from another save\)$/);
      restore2();
    });

    it('a weight missing from the manifest, or a config the weights do not fit', async () => {
      const restore = await broken('missing-entry', () => editJson((j) => {
        j.weights.entries = j.weights.entries.filter((e: { name: string }) => e.name !== 'G_AB/down1/norm/gamma');
      }));
      fileError(() => loadModel(dir), /missing-entry\/model.json: missing weight 'G_AB\/down1\/norm\/gamma'$/);
      restore();
      const restore2 = await broken('other-config', () => editJson((j) => (j.config.scale = 1 / 16)));
      fileError(() => loadModel(dir), /other-config\/model.json: weight 'G_AB\/conv_in\/kernel' has shape \[5, 15, 1, 8\], the model config needs \[5, 15, 1, 16\]$/);
      restore2();
      const restore3 = await broken('no-such-net', () => undefined);
      fileError(() => loadModel(dir, ['G_BA']), /no-such-net\/model.json: has no network 'G_BA' \(it has G_AB\)$/);
      restore3();
    });

    it('weights changed since the save (flipped bytes, all zeros) fail the SHA-256 in model.json', async () => {
      const original = readFileSync(join(dir, 'weights.bin'));
      // Flip the low mantissa byte of 2000 float32 values: every value stays finite and
      // plausible, so only the checksum can tell.
      const restore = await broken('flipped', () => {
        const bytes = Buffer.from(original);
        for (let i = 0; i < 2000; i++) bytes[4 * ((i * 7919) % (bytes.length / 4))] ^= 0xff;
        writeFileSync(join(dir, 'weights.bin'), bytes);
      });
      fileError(() => loadModel(dir), /flipped\/weights.bin: is damaged: its SHA-256 does not match the one in model.json/);
      restore();
      const restore2 = await broken('zeros', () => writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(original.length)));
      fileError(() => loadModel(dir), /zeros\/weights.bin: is damaged: its SHA-256/);
      restore2();
      // Models saved before the checksum existed have none, and load as before.
      const restore3 = await broken('no-checksum', () => editJson((j) => delete j.weights.sha256));
      disposeAll(loadModel(dir).networks.values());
      restore3();
      const restore4 = await broken('bad-checksum-field', () => editJson((j) => (j.weights.sha256 = 'abc')));
      fileError(() => loadModel(dir), /bad-checksum-field\/model.json: weights.sha256 is not a SHA-256 in hex$/);
      restore4();
    });

    it('NaN weights (saved with a valid checksum) are refused, naming the weight', async () => {
      const g = createGenerator(config, 'G_AB', 6);
      const gamma = g.vars.get('up1/norm/gamma')!;
      tf.tidy(() => gamma.assign(tf.fill(gamma.shape, NaN)));
      const nanDir = join(root, 'nan-weights');
      await saveModel(nanDir, config, [g]);
      disposeNetwork(g);
      fileError(() => loadModel(nanDir), /nan-weights\/weights.bin: weight 'G_AB\/up1\/norm\/gamma' holds NaN or infinite values: the model is damaged$/);
    });

    it('a model for conversion is not a training checkpoint', () => {
      fileError(() => loadTrainerState(dir), /model.json: is a model for conversion, not a training checkpoint/);
    });
  });
});

describe('saveTrainerState / loadTrainerState', () => {
  it('resumes exactly: the restored trainer takes the same next step', async () => {
    const small = customConfig(1 / 64, 8, 1);
    const a = tf.randomNormal([1, 8, 16], 0, 1, 'float32', 21) as tf.Tensor3D;
    const b = tf.randomNormal([1, 8, 16], 0, 1, 'float32', 22) as tf.Tensor3D;
    const trainer = new CycleGanTrainer(small, { seed: 8 });
    trainer.step(a, b);
    trainer.step(a, b);
    const dir = join(root, 'checkpoint');
    await saveTrainerState(dir, trainer, { extra: { iteration: 2 } });
    // a checkpoint also loads as a model (e.g. to convert with its generators)
    const asModel = loadModel(dir, ['G_AB', 'G_BA']);
    expect(values(asModel.networks.get('G_AB')!)).toEqual(values(trainer.gAB));
    disposeAll(asModel.networks.values());
    const { trainer: resumed, extra: savedExtra } = loadTrainerState(dir);
    expect(savedExtra).toEqual({ iteration: 2 });
    expect(resumed.optG.step).toBe(2);
    expect(resumed.optD.step).toBe(2);
    const lr = { g: 3e-4, d: 2e-4 };
    const weights = { cycle: 10, identity: 5 };
    expect(resumed.step(a, b, weights, lr)).toEqual(trainer.step(a, b, weights, lr));
    for (const [orig, copy] of trainer.networks().map((n, i) => [n, resumed.networks()[i]!] as const)) {
      expect(values(copy)).toEqual(values(orig));
    }
    trainer.dispose();
    resumed.dispose();
    tf.dispose([a, b]);
  });
});
