import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/io/npy.js';
import { generatorForward } from '../src/model/generator.js';
import { loadModel } from '../src/model/io.js';
import { disposeNetwork } from '../src/model/params.js';

/**
 * The generator against outputs stored in tests/fixtures/generator/, computed by
 * reference.py: a float64 NumPy transcription of the PyTorch reference generator, sharing
 * nothing with the tfjs code but the weights. A small generator (scale 1/32, 16 mel bins,
 * 2 residual blocks, every parameter moved off its initial value) on a fixed batch of two,
 * for each skip path: any change to a layer, its order, a residual add, a reshape or the
 * skip path changes the output.
 */

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/generator/${name}`, import.meta.url));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('generator against the NumPy transcription of the PyTorch reference', () => {
  for (const skip of ['none', 'input', 'envelope'] as const) {
    it(`skip path ${skip}: the same output to float32 precision`, () => {
      const { networks } = loadModel(fixture('model'));
      const net = networks.get('G')!;
      const input = readNpy(fixture('input.npy'));
      const expected = readNpy(fixture(`output-${skip}.npy`));
      expect(expected.shape).toEqual(input.shape);
      const got = tf.tidy(() => generatorForward(net, tf.tensor3d(input.data, input.shape as [number, number, number]), skip).dataSync());
      disposeNetwork(net);
      let scale = 0;
      let worst = 0;
      for (let i = 0; i < expected.data.length; i++) {
        scale = Math.max(scale, Math.abs(expected.data[i]!));
        worst = Math.max(worst, Math.abs(got[i]! - expected.data[i]!));
      }
      expect(scale).toBeGreaterThan(0.1); // a real signal, not zeros
      expect(worst / scale, `worst error ${worst} of ${scale}`).toBeLessThan(1e-4);
    });
  }
});
