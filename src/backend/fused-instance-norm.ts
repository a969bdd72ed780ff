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

/**
 * Instance norm followed by a GLU (src/model/layers.ts instanceNormGlu), the end of every
 * down-sampling, up-sampling and residual block: one kernel each way, which never stores
 * the normalised tensor (the forward pass reads x and writes the gated half; the gradient
 * recomputes the normalisation from x and the saved statistics).
 *
 * FUSED_INSTANCE_NORM_GLU: inputs `x` [B, H, W, 2C], `gamma` and `beta` [2C]; attr `eps`.
 * Outputs: glu(FUSED_INSTANCE_NORM's y) [B, H, W, C], then mean and rstd [B, 2C].
 *
 * FUSED_INSTANCE_NORM_GLU_GRAD: inputs `dy` [B, H, W, C], `x`, `gamma`, `beta`, `mean`,
 * `rstd`; outputs dx, dgamma, dbeta.
 */
export const FUSED_INSTANCE_NORM_GLU = 'VoiceswapInstanceNormGlu';
export const FUSED_INSTANCE_NORM_GLU_GRAD = 'VoiceswapInstanceNormGluGrad';
