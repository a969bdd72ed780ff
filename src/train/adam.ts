import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAM, type FusedAdamAttrs } from '../backend/fused-adam.js';

/**
 * Adam with torch.optim.Adam's update, a learning rate given at each step (the training
 * loop schedules it) and state that can be saved and restored exactly, keyed by our
 * stable parameter names. (tf.train.adam fixes the learning rate at construction, uses
 * eps 1e-7, and orders its saved moments by tfjs's generated variable names.)
 */

export interface AdamHyperparameters {
  beta1: number;
  beta2: number;
  eps: number;
}

/** CycleGAN-VC2's betas (0.5, 0.999) with torch's default eps. */
export const CYCLEGAN_ADAM: Readonly<AdamHyperparameters> = Object.freeze({ beta1: 0.5, beta2: 0.999, eps: 1e-8 });

interface Slot {
  name: string;
  param: tf.Variable;
  m: tf.Variable; // first moment
  v: tf.Variable; // second moment
}

export class Adam {
  readonly hyper: Readonly<AdamHyperparameters>;
  private readonly slots: Slot[];
  private steps = 0;

  /** `params`: [stable name, variable] pairs, e.g. from namedVariables(). */
  constructor(params: ReadonlyArray<readonly [string, tf.Variable]>, hyper: AdamHyperparameters = CYCLEGAN_ADAM) {
    this.hyper = Object.freeze({ ...hyper });
    const names = new Set<string>();
    this.slots = params.map(([name, param]) => {
      if (names.has(name)) throw new Error(`Adam: duplicate parameter name '${name}'`);
      names.add(name);
      // tidy frees the zeros tensors and keeps the variables (tidy never disposes variables)
      const [m, v] = tf.tidy(() => [tf.variable(tf.zerosLike(param), false), tf.variable(tf.zerosLike(param), false)]);
      return { name, param, m: m!, v: v! };
    });
  }

  /** Number of updates applied so far (torch's state['step']). */
  get step(): number {
    return this.steps;
  }

  /** The variables this optimiser updates, in construction order. */
  variables(): tf.Variable[] {
    return this.slots.map((s) => s.param);
  }

  /**
   * One update with learning rate `lr`. `grads` is keyed by tf.Variable.name, as
   * tf.variableGrads returns it, and must hold a gradient for every parameter.
   */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    const { beta1, beta2, eps } = this.hyper;
    const t = this.steps + 1;
    const stepSize = lr / (1 - beta1 ** t);
    const sqrtBiasCorrection2 = Math.sqrt(1 - beta2 ** t);
    const gradients = this.slots.map((slot) => {
      const g = grads[slot.param.name];
      if (g === undefined) throw new Error(`Adam: no gradient for '${slot.name}'`);
      return g;
    });
    if (tf.getKernel(FUSED_ADAM, tf.getBackend()) !== undefined) {
      this.applyFused(gradients, { count: this.slots.length, beta1, beta2, eps, stepSize, sqrtBiasCorrection2 });
    } else {
      this.slots.forEach((slot, i) =>
        tf.tidy(() => {
          const g = gradients[i];
          slot.m.assign(tf.add(tf.mul(slot.m, beta1), tf.mul(g, 1 - beta1)));
          slot.v.assign(tf.add(tf.mul(slot.v, beta2), tf.mul(tf.square(g), 1 - beta2)));
          const denom = tf.add(tf.div(tf.sqrt(slot.v), sqrtBiasCorrection2), eps);
          slot.param.assign(tf.sub(slot.param, tf.mul(tf.div(slot.m, denom), stepSize)));
        }),
      );
    }
    this.steps = t;
  }

  /** The same update as one kernel call for every parameter (src/backend/fused-adam.ts). */
  private applyFused(gradients: tf.Tensor[], attrs: FusedAdamAttrs): void {
    const inputs: tf.NamedTensorMap = {};
    this.slots.forEach((slot, i) => {
      inputs[`p${i}`] = slot.param;
      inputs[`m${i}`] = slot.m;
      inputs[`v${i}`] = slot.v;
      inputs[`g${i}`] = gradients[i];
    });
    const n = this.slots.length;
    tf.tidy(() => {
      const out = tf.engine().runKernel(FUSED_ADAM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      this.slots.forEach((slot, i) => {
        slot.param.assign(out[i]);
        slot.m.assign(out[n + i]);
        slot.v.assign(out[2 * n + i]);
      });
    });
  }

  /**
   * The moments as [name, tensor] pairs named 'm/<param>' and 'v/<param>'. These are the
   * live state tensors: read them, do not dispose them.
   */
  stateTensors(): Array<[string, tf.Tensor]> {
    return this.slots.flatMap((s): Array<[string, tf.Tensor]> => [
      [`m/${s.name}`, s.m],
      [`v/${s.name}`, s.v],
    ]);
  }

  /**
   * Restore a saved state: `step` and every 'm/<param>' and 'v/<param>' of
   * stateTensors(). Throws (naming the entry) when one is missing or has the wrong size.
   */
  restore(step: number, values: ReadonlyMap<string, Float32Array>): void {
    if (!Number.isInteger(step) || step < 0) throw new Error(`optimiser step must be a non-negative integer, got ${step}`);
    const expected = this.stateTensors();
    for (const [name, t] of expected) {
      const data = values.get(name);
      if (data === undefined) throw new Error(`missing optimiser state '${name}'`);
      if (data.length !== t.size) throw new Error(`optimiser state '${name}' has ${data.length} values, expected ${t.size}`);
    }
    if (values.size !== expected.length) {
      const known = new Set(expected.map(([n]) => n));
      const extra = [...values.keys()].find((n) => !known.has(n));
      throw new Error(`unexpected optimiser state '${extra}'`);
    }
    for (const [name, t] of expected) {
      const v = t as tf.Variable;
      tf.tidy(() => v.assign(tf.tensor(values.get(name)!, v.shape, 'float32')));
    }
    this.steps = step;
  }

  dispose(): void {
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
  }
}
