/**
 * Fused gated linear unit (src/model/layers.ts glu), for backends that provide it; on the
 * others the layer runs as split, sigmoid and multiply (and their gradients: about ten
 * kernels per use, a few dozen uses per training step).
 *
 * FUSED_GLU: input `x` [..., 2C]; output y [..., C] = x[..., :C] * sigmoid(x[..., C:]).
 * FUSED_GLU_GRAD: inputs `dy` [..., C] and `x`; output dx [..., 2C].
 */
export const FUSED_GLU = 'VoiceswapGlu';
export const FUSED_GLU_GRAD = 'VoiceswapGluGrad';
