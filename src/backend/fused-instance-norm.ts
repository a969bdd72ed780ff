/**
 * Fused instance normalisation (src/model/layers.ts instanceNorm), for backends that
 * provide it; on the others the layer runs as ordinary ops. Op by op, the layer and its
 * gradient are about thirty element-wise kernels and reductions per use, and a training
 * step uses it a few hundred times.
 *
 * FUSED_INSTANCE_NORM: inputs `x` [B, H, W, C], `gamma` and `beta` [C]; attr `eps`.
 * Outputs: y = (x - mean) / sqrt(var + eps) * gamma + beta (statistics per sample and
 * channel over H and W, biased variance), then mean and 1 / sqrt(var + eps), [B, C].
 *
 * FUSED_INSTANCE_NORM_GRAD: inputs `dy`, `x`, `gamma`, `mean`, `rstd` (the forward's);
 * outputs dx, dgamma, dbeta.
 */
export const FUSED_INSTANCE_NORM = 'VoiceswapInstanceNorm';
export const FUSED_INSTANCE_NORM_GRAD = 'VoiceswapInstanceNormGrad';
