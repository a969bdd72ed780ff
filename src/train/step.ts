import * as tf from '@tensorflow/tfjs';
import { VoiceswapError } from '../errors.js';
import { createDiscriminator, discriminatorForward } from '../model/discriminator.js';
import { createGenerator, generatorForward } from '../model/generator.js';
import { l1, lsganDiscriminatorLoss, lsganGeneratorLoss } from '../model/losses.js';
import { disposeNetwork, namedVariables, type Network } from '../model/params.js';
import type { InputSkip, ModelConfig } from '../model/presets.js';
import type { TransportMaps } from '../model/transport.js';
import type { LossValues } from '../run/loss-log.js';
import { SCHEDULE_DEFAULTS } from '../run/schedule.js';
import { Adam, CYCLEGAN_ADAM } from './adam.js';

export type { LossValues };

/**
 * One CycleGAN-VC2 training iteration, as the PyTorch reference does it:
 *   1. generators: fake_B = G_AB(a), cyc_A = G_BA(fake_B), fake_A = G_BA(b),
 *      cyc_B = G_AB(fake_A), id_A = G_BA(a), id_B = G_AB(b);
 *      loss = LSGAN(D_B(fake_B)) + LSGAN(D_A(fake_A)) + w_cycle * L1(cycle) + w_id * L1(identity);
 *      one Adam step on both generators, discriminators frozen (no D gradients computed);
 *   2. discriminators: LSGAN on real vs the detached fakes of step 1; one Adam step.
 */

export interface LossWeights {
  cycle: number;
  identity: number;
}

/**
 * Gaussian noise (std in normalised log-mel units) added to each converted crop before it
 * is mapped back for the cycle loss. Without it a generator can hide the source's details
 * in faint patterns of its output that the other generator decodes (CycleGAN's known
 * steganography); with it, what the cycle needs must be carried by structure strong
 * enough to survive the noise, i.e. the audible spectrogram.
 */
export interface CycleNoise {
  std: number;
  /** Seed of this iteration's noise (from the run's RNG: reproducible and resumable). */
  seed: number;
}

export interface LearningRates {
  g: number;
  d: number;
}

/** A step's defaults are the run schedule's (run/schedule.ts). */
export const DEFAULT_LOSS_WEIGHTS: Readonly<LossWeights> = Object.freeze({ cycle: SCHEDULE_DEFAULTS.cycleWeight, identity: SCHEDULE_DEFAULTS.identityWeight });
export const DEFAULT_LEARNING_RATES: Readonly<LearningRates> = Object.freeze({ g: SCHEDULE_DEFAULTS.lrG, d: SCHEDULE_DEFAULTS.lrD });

export interface TrainerNetworks {
  gAB: Network;
  gBA: Network;
  dA: Network;
  dB: Network;
}

export const NETWORK_NAMES = Object.freeze({ gAB: 'G_AB', gBA: 'G_BA', dA: 'D_A', dB: 'D_B' });

export class CycleGanTrainer {
  readonly config: Readonly<ModelConfig>;
  readonly gAB: Network;
  readonly gBA: Network;
  readonly dA: Network;
  readonly dB: Network;
  /** Adam over both generators (torch's opt_G) and over both discriminators (opt_D). */
  readonly optG: Adam;
  readonly optD: Adam;
  private readonly gVars: tf.Variable[];
  private readonly dVars: tf.Variable[];

  /** Fresh networks initialised from `seed`, or the given ones (e.g. loaded from a checkpoint). */
  constructor(config: ModelConfig, init: { seed: number } | { networks: TrainerNetworks }) {
    this.config = Object.freeze({ ...config });
    const nets = 'networks' in init ? init.networks : freshNetworks(config, init.seed);
    ({ gAB: this.gAB, gBA: this.gBA, dA: this.dA, dB: this.dB } = nets);
    this.optG = new Adam([...namedVariables(this.gAB), ...namedVariables(this.gBA)], CYCLEGAN_ADAM);
    this.optD = new Adam([...namedVariables(this.dA), ...namedVariables(this.dB)], CYCLEGAN_ADAM);
    this.gVars = this.optG.variables();
    this.dVars = this.optD.variables();
  }

  networks(): Network[] {
    return [this.gAB, this.gBA, this.dA, this.dB];
  }

  /**
   * One iteration on a batch of normalised log-mel crops [B, nMels, T] of each speaker.
   * `skipMaps`: the 'transport' skip's fixed maps (a2b for G_AB, b2a for G_BA).
   */
  step(
    realA: tf.Tensor3D,
    realB: tf.Tensor3D,
    weights: LossWeights = DEFAULT_LOSS_WEIGHTS,
    lr: LearningRates = DEFAULT_LEARNING_RATES,
    cycleNoise: CycleNoise | null = null,
    skipMaps: TransportMaps | null = null,
  ): LossValues {
    this.checkBatch(realA, 'A');
    this.checkBatch(realB, 'B');
    const useIdentity = weights.identity !== 0;
    const losses = tf.tidy(() => {
      // ---- generators: only G variables are differentiated, so D is frozen and no D
      // weight gradient is computed
      let g!: GeneratorLosses;
      const gStep = tf.variableGrads(() => {
        g = keepAll(generatorLosses(this, realA, realB, weights, this.config.inputSkip, cycleNoise, skipMaps)); // outlive variableGrads' scope
        return g.total;
      }, this.gVars);
      this.optG.apply(gStep.grads, lr.g);

      // ---- discriminators, on the fakes from before the G update (detached: plain tensors)
      let d!: DiscriminatorLosses;
      const dStep = tf.variableGrads(() => {
        d = keepAll(discriminatorLosses(this, realA, realB, g.fakeA, g.fakeB));
        return d.total;
      }, this.dVars);
      this.optD.apply(dStep.grads, lr.d);

      const values = tf.stack([g.adv, g.cycle, g.identity ?? tf.scalar(0), g.total, d.dA, d.dB]);
      disposeAll(g);
      disposeAll(d);
      return values;
    });
    const [gAdv, cycle, identity, gTotal, dA, dB] = losses.dataSync();
    losses.dispose();
    return { gAdv: gAdv!, cycle: cycle!, identity: useIdentity ? identity! : null, gTotal: gTotal!, dA: dA!, dB: dB! };
  }

  dispose(): void {
    this.optG.dispose();
    this.optD.dispose();
    for (const net of this.networks()) disposeNetwork(net);
  }

  private checkBatch(x: tf.Tensor3D, speaker: string): void {
    const [, mels, frames] = x.shape;
    if (x.rank !== 3 || mels !== this.config.nMels || frames % 4 !== 0 || frames < 4) {
      throw new VoiceswapError(
        `speaker ${speaker} batch has shape [${x.shape.join(', ')}]; expected [batch, ${this.config.nMels}, frames] with frames a multiple of 4`,
      );
    }
  }
}

export interface GeneratorLosses {
  fakeA: tf.Tensor3D;
  fakeB: tf.Tensor3D;
  adv: tf.Scalar;
  cycle: tf.Scalar;
  /** null when the identity weight is 0: the identity mappings are then not computed. */
  identity: tf.Scalar | null;
  total: tf.Scalar;
}

/**
 * The generators' losses (forward only; differentiate `total` w.r.t. the G variables).
 * Passes of one network whose inputs are all known run as one pass on the concatenated
 * batch (the generators' six passes in three, and in the discriminator step each
 * discriminator's real and fake crops): every layer treats samples independently
 * (instance norm included), so this equals separate passes, in fewer and larger kernel
 * calls.
 */
export function generatorLosses(
  nets: TrainerNetworks,
  realA: tf.Tensor3D,
  realB: tf.Tensor3D,
  weights: LossWeights,
  inputSkip: InputSkip = 'none',
  cycleNoise: CycleNoise | null = null,
  skipMaps: TransportMaps | null = null,
): GeneratorLosses {
  const useIdentity = weights.identity !== 0;
  const generate = (net: Network, x: tf.Tensor3D) => generatorForward(net, x, inputSkip, net === nets.gAB ? skipMaps?.a2b : skipMaps?.b2a);
  // tfjs takes seed 0 for "no seed" (a random draw); 2^32 stands in for it, beyond the
  // run RNG's seeds (< 2^31) and their successors
  const noisy = (x: tf.Tensor3D, seed: number) =>
    cycleNoise && cycleNoise.std > 0 ? tf.add(x, tf.randomNormal(x.shape, 0, cycleNoise.std, 'float32', seed === 0 ? 2 ** 32 : seed)) as tf.Tensor3D : x;
  const seed = cycleNoise?.seed ?? 0;
  // Three generator passes instead of four: once fake_B exists, all of G_BA's inputs
  // (real B, real A for identity, noisy fake_B for the cycle) are known, so they run as
  // one batch; only G_AB's cycle pass must wait for fake_A.
  const [fakeB, idB] = forwardBatch(generate, nets.gAB, [realA, useIdentity ? realB : null]);
  const [fakeA, idA, cycA] = forwardBatch(generate, nets.gBA, [realB, useIdentity ? realA : null, noisy(fakeB, seed)]);
  const cycB = generate(nets.gAB, noisy(fakeA, seed + 1));
  const adv = tf.add(lsganGeneratorLoss(discriminatorForward(nets.dB, fakeB)), lsganGeneratorLoss(discriminatorForward(nets.dA, fakeA))) as tf.Scalar;
  const cycle = tf.add(l1(cycA, realA), l1(cycB, realB)) as tf.Scalar;
  let total = tf.add(adv, tf.mul(cycle, weights.cycle)) as tf.Scalar;
  let identity: tf.Scalar | null = null;
  if (idA !== null && idB !== null) {
    identity = tf.add(l1(idA, realA), l1(idB, realB)) as tf.Scalar;
    total = tf.add(total, tf.mul(identity, weights.identity));
  }
  return { fakeA, fakeB, adv, cycle, identity, total };
}

export interface DiscriminatorLosses {
  dA: tf.Scalar;
  dB: tf.Scalar;
  total: tf.Scalar;
}

/** The discriminators' losses on real crops against given (detached) fakes. */
export function discriminatorLosses(nets: TrainerNetworks, realA: tf.Tensor3D, realB: tf.Tensor3D, fakeA: tf.Tensor3D, fakeB: tf.Tensor3D): DiscriminatorLosses {
  const [realScoresA, fakeScoresA] = forwardBatch(discriminatorForward, nets.dA, [realA, fakeA]);
  const [realScoresB, fakeScoresB] = forwardBatch(discriminatorForward, nets.dB, [realB, fakeB]);
  const dA = lsganDiscriminatorLoss(realScoresA, fakeScoresA);
  const dB = lsganDiscriminatorLoss(realScoresB, fakeScoresB);
  return { dA, dB, total: tf.add(dA, dB) as tf.Scalar };
}

/** One output per input, null where the input may be null. */
type BatchOutputs<Xs extends readonly (tf.Tensor3D | null)[]> = { [K in keyof Xs]: null extends Xs[K] ? tf.Tensor3D | null : tf.Tensor3D };

/**
 * forward(net, x) for each non-null x, computed as one batched pass over their
 * concatenation (null in, null out).
 */
function forwardBatch<const Xs extends readonly (tf.Tensor3D | null)[]>(
  forward: (net: Network, x: tf.Tensor3D) => tf.Tensor3D,
  net: Network,
  xs: Xs,
): BatchOutputs<Xs> {
  const given = xs.filter((x): x is tf.Tensor3D => x !== null);
  // (tf.split's array is also its tape record's output list: read it, never mutate it)
  const outs = given.length === 1 ? [forward(net, given[0]!)] : tf.split(forward(net, tf.concat(given, 0)), given.map((x) => x.shape[0]), 0) as tf.Tensor3D[];
  let next = 0;
  return xs.map((x) => (x === null ? null : outs[next++]!)) as BatchOutputs<Xs>;
}

function keepAll<T extends object>(tensors: T): T {
  for (const t of Object.values(tensors)) if (t instanceof tf.Tensor) tf.keep(t);
  return tensors;
}

function disposeAll(tensors: object): void {
  for (const t of Object.values(tensors)) if (t instanceof tf.Tensor) t.dispose();
}

function freshNetworks(config: ModelConfig, seed: number): TrainerNetworks {
  return {
    gAB: createGenerator(config, NETWORK_NAMES.gAB, seed),
    gBA: createGenerator(config, NETWORK_NAMES.gBA, seed),
    dA: createDiscriminator(config, NETWORK_NAMES.dA, seed),
    dB: createDiscriminator(config, NETWORK_NAMES.dB, seed),
  };
}
