/**
 * A fused Adam update: one kernel call that updates every parameter tensor of a network
 * (src/train/adam.ts), for backends that provide it; on the others Adam runs op by op.
 * Op by op it is about nine element-wise kernels per tensor, each a pass over memory and
 * an engine call: with a few hundred tensors per network, a fifth of a small-preset
 * training step.
 *
 * Inputs: `p<i>`, `m<i>`, `v<i>`, `g<i>` for i < count (value, first and second moment,
 * gradient; float32, same shape per i). Outputs: the `count` updated values, then the
 * `count` first moments, then the `count` second moments. The update is src/train/adam.ts's:
 *   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g^2,
 *   p' = p - stepSize m' / (sqrt(v') / sqrtBiasCorrection2 + eps).
 */
export const FUSED_ADAM = 'VoiceswapFusedAdam';

export interface FusedAdamAttrs {
  count: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** sqrt(1 - beta2^t) */
  sqrtBiasCorrection2: number;
}
