import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDiscriminator } from '../src/model/discriminator.js';
import { createGenerator } from '../src/model/generator.js';
import { disposeNetwork, namedVariables, type Network } from '../src/model/params.js';
import { customConfig, presetConfig } from '../src/model/presets.js';

/**
 * Fresh networks from a seed, pinned: the parameter names, their order, shapes and initial
 * values of today's generator and discriminator hash to the digests below (computed before
 * the layers became modules). Any change to a layer's name, shape, init or place in the
 * list changes a digest; saved models and checkpoints depend on all four.
 */

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function digest(net: Network): { names: string; values: string } {
  const names = createHash('sha256');
  const values = createHash('sha256');
  for (const [name, v] of namedVariables(net)) {
    names.update(`${name}:${v.shape.join('x')};`);
    const data = v.dataSync() as Float32Array;
    values.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return { names: names.digest('hex').slice(0, 16), values: values.digest('hex').slice(0, 16) };
}

const PINNED = {
  tinyG: { names: '8a063c0b66a5c845', values: 'b4bd5faf3a69f39c' },
  tinyD: { names: '0a63ee423770fcd8', values: '32f6d37a34753997' },
  customG: { names: '9f919cf1e1abe216', values: '6810d714374b109a' },
};

describe('fresh networks from a seed', () => {
  it('tiny preset: generator and discriminator names, shapes and values are unchanged', () => {
    const config = presetConfig('tiny');
    const g = createGenerator(config, 'G_AB', 7);
    const d = createDiscriminator(config, 'D_A', 7);
    expect(digest(g)).toEqual(PINNED.tinyG);
    expect(digest(d)).toEqual(PINNED.tinyD);
    disposeNetwork(g);
    disposeNetwork(d);
  });

  it('custom config (1/32, 16 mel bins, 2 residual blocks): the generator is unchanged', () => {
    const g = createGenerator(customConfig(1 / 32, 16, 2), 'G', 3);
    expect(digest(g)).toEqual(PINNED.customG);
    disposeNetwork(g);
  });
});
