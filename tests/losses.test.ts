import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discriminatorForward } from '../src/model/discriminator.js';
import { generatorForward } from '../src/model/generator.js';
import { l1, lsganDiscriminatorLoss, lsganGeneratorLoss } from '../src/model/losses.js';
import { customConfig, type InputSkip } from '../src/model/presets.js';
import { CycleGanTrainer, discriminatorLosses, generatorLosses, type TrainerNetworks } from '../src/train/step.js';

/**
 * Every loss term computed by hand in the test, in float64, from fixed values or from the
 * networks' own outputs: which network maps what, which speaker each term compares with,
 * and the least-squares targets. A swapped generator, speaker or target changes a value.
 */

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (t: tf.Tensor) => t.dataSync()[0]!;
const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x, 0) / xs.length;
const meanSquaredFrom = (xs: ArrayLike<number>, target: number) => mean(Array.from(xs, (x) => (x - target) ** 2));
const meanAbsDiff = (xs: ArrayLike<number>, ys: ArrayLike<number>) => mean(Array.from(xs, (x, i) => Math.abs(x - ys[i]!)));

describe('the loss functions on tiny fixed tensors', () => {
  it('LSGAN generator loss pulls D(fake) towards 1: mean((D(fake) - 1)^2)', () => {
    tf.tidy(() => {
      // (0.5-1)^2 + (2-1)^2 + (-1-1)^2 = 0.25 + 1 + 4, over 3
      expect(value(lsganGeneratorLoss(tf.tensor1d([0.5, 2, -1])))).toBeCloseTo(5.25 / 3, 6);
      expect(value(lsganGeneratorLoss(tf.ones([2, 3])))).toBe(0);
    });
  });

  it('LSGAN discriminator loss pulls D(real) towards 1 and D(fake) towards 0, halved', () => {
    tf.tidy(() => {
      const real = tf.tensor1d([1, 0.5]); // (0 + 0.25) / 2 = 0.125
      const fake = tf.tensor1d([0, 2]); // (0 + 4) / 2 = 2
      expect(value(lsganDiscriminatorLoss(real, fake))).toBeCloseTo(0.5 * (0.125 + 2), 6);
      expect(value(lsganDiscriminatorLoss(tf.ones([4]), tf.zeros([4])))).toBe(0); // the perfect discriminator
      expect(value(lsganDiscriminatorLoss(tf.zeros([4]), tf.ones([4])))).toBe(1); // the worst one
    });
  });

  it('L1 is the mean absolute difference', () => {
    tf.tidy(() => {
      expect(value(l1(tf.tensor2d([[1, -2], [3, 0]]), tf.tensor2d([[0, 0], [1, 1]])))).toBeCloseTo((1 + 2 + 2 + 1) / 4, 6);
    });
  });
});

describe('CycleGAN-VC2 loss wiring, term by term', () => {
  const config = customConfig(1 / 64, 8, 1);
  let trainer: CycleGanTrainer;
  let a: tf.Tensor3D;
  let b: tf.Tensor3D;

  beforeAll(() => {
    trainer = new CycleGanTrainer(config, { seed: 21 });
    a = tf.randomNormal([2, 8, 16], 0, 1, 'float32', 31) as tf.Tensor3D;
    b = tf.randomNormal([2, 8, 16], 0.5, 2, 'float32', 32) as tf.Tensor3D;
  });
  afterAll(() => {
    trainer.dispose();
    tf.dispose([a, b]);
  });

  /** What each network gives, as plain arrays: the inputs of the hand computation. */
  function outputs(nets: TrainerNetworks, skip: InputSkip) {
    return tf.tidy(() => {
      const G = (net: typeof nets.gAB, x: tf.Tensor3D) => generatorForward(net, x, skip);
      const D = (net: typeof nets.dA, x: tf.Tensor3D) => discriminatorForward(net, x).dataSync();
      const fakeB = G(nets.gAB, a); // A in B's voice
      const fakeA = G(nets.gBA, b); // B in A's voice
      return {
        a: a.dataSync(),
        b: b.dataSync(),
        fakeA: fakeA.dataSync(),
        fakeB: fakeB.dataSync(),
        cycleA: G(nets.gBA, fakeB).dataSync(), // A -> B -> A
        cycleB: G(nets.gAB, fakeA).dataSync(), // B -> A -> B
        identityA: G(nets.gBA, a).dataSync(), // G_BA must leave A's own voice alone
        identityB: G(nets.gAB, b).dataSync(),
        dAreal: D(nets.dA, a),
        dAfake: D(nets.dA, fakeA),
        dBreal: D(nets.dB, b),
        dBfake: D(nets.dB, fakeB),
      };
    });
  }

  // The networks differ (each is initialised from its own name), so using one for the other,
  // or one speaker's crops for the other's, gives other numbers.
  it('the networks and speakers are distinguishable, so a swap cannot go unnoticed', () => {
    const o = outputs(trainer, 'none');
    expect(meanAbsDiff(o.identityA, o.fakeB)).toBeGreaterThan(1e-3); // G_BA(a) vs G_AB(a)
    expect(meanAbsDiff(o.a, o.b)).toBeGreaterThan(0.5);
    expect(Math.abs(mean(o.dAreal) - mean(o.dAfake))).toBeGreaterThan(1e-4);
  });

  for (const skip of ['none', 'envelope'] as const) {
    it(`generator losses (skip path ${skip}): adversarial, cycle, identity and the weighted total`, () => {
      const o = outputs(trainer, skip);
      const expected = {
        adv: meanSquaredFrom(o.dBfake, 1) + meanSquaredFrom(o.dAfake, 1),
        cycle: meanAbsDiff(o.cycleA, o.a) + meanAbsDiff(o.cycleB, o.b),
        identity: meanAbsDiff(o.identityA, o.a) + meanAbsDiff(o.identityB, o.b),
      };
      const weights = { cycle: 10, identity: 5 };
      const got = tf.tidy(() => {
        const g = generatorLosses(trainer, a, b, weights, skip);
        return { adv: value(g.adv), cycle: value(g.cycle), identity: value(g.identity!), total: value(g.total), fakeA: g.fakeA.dataSync(), fakeB: g.fakeB.dataSync() };
      });
      expect(got.adv).toBeCloseTo(expected.adv, 4);
      expect(got.cycle).toBeCloseTo(expected.cycle, 4);
      expect(got.identity).toBeCloseTo(expected.identity, 4);
      expect(got.total).toBeCloseTo(expected.adv + 10 * expected.cycle + 5 * expected.identity, 3);
      // The fakes handed to the discriminator step are G_BA(b) and G_AB(a).
      expect(meanAbsDiff(got.fakeA, o.fakeA)).toBeLessThan(1e-5);
      expect(meanAbsDiff(got.fakeB, o.fakeB)).toBeLessThan(1e-5);
    });
  }

  it('without an identity weight there is no identity term in the total', () => {
    const o = outputs(trainer, 'none');
    const total = tf.tidy(() => value(generatorLosses(trainer, a, b, { cycle: 3, identity: 0 }, 'none').total));
    const adv = meanSquaredFrom(o.dBfake, 1) + meanSquaredFrom(o.dAfake, 1);
    expect(total).toBeCloseTo(adv + 3 * (meanAbsDiff(o.cycleA, o.a) + meanAbsDiff(o.cycleB, o.b)), 4);
  });

  it('discriminator losses: D_A scores real A against G_BA(b), D_B real B against G_AB(a)', () => {
    const o = outputs(trainer, 'none');
    const got = tf.tidy(() => {
      const fakeA = tf.tensor3d(o.fakeA, a.shape);
      const fakeB = tf.tensor3d(o.fakeB, b.shape);
      const d = discriminatorLosses(trainer, a, b, fakeA, fakeB);
      return { dA: value(d.dA), dB: value(d.dB), total: value(d.total) };
    });
    const dA = 0.5 * (meanSquaredFrom(o.dAreal, 1) + meanSquaredFrom(o.dAfake, 0));
    const dB = 0.5 * (meanSquaredFrom(o.dBreal, 1) + meanSquaredFrom(o.dBfake, 0));
    expect(got.dA).toBeCloseTo(dA, 5);
    expect(got.dB).toBeCloseTo(dB, 5);
    expect(got.total).toBeCloseTo(dA + dB, 5);
  });

  it('a training step reports the same values as the hand computation, before its updates', () => {
    const fresh = new CycleGanTrainer(config, { seed: 22 });
    try {
      const o = outputs(fresh, config.inputSkip);
      const losses = fresh.step(a, b, { cycle: 10, identity: 5 }, { g: 1e-3, d: 1e-3 });
      expect(losses.gAdv).toBeCloseTo(meanSquaredFrom(o.dBfake, 1) + meanSquaredFrom(o.dAfake, 1), 4);
      expect(losses.cycle).toBeCloseTo(meanAbsDiff(o.cycleA, o.a) + meanAbsDiff(o.cycleB, o.b), 4);
      expect(losses.identity!).toBeCloseTo(meanAbsDiff(o.identityA, o.a) + meanAbsDiff(o.identityB, o.b), 4);
      expect(losses.dA).toBeCloseTo(0.5 * (meanSquaredFrom(o.dAreal, 1) + meanSquaredFrom(o.dAfake, 0)), 4);
      expect(losses.dB).toBeCloseTo(0.5 * (meanSquaredFrom(o.dBreal, 1) + meanSquaredFrom(o.dBfake, 0)), 4);
    } finally {
      fresh.dispose();
    }
  });
});
