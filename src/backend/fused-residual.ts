/**
 * The generator's residual block as one kernel each way (src/model/modules.ts Residual),
 * for backends that provide it; elsewhere the block runs layer by layer. Layer by layer,
 * the 1-D residual blocks' small tensors ([B, 1, T/4, C]) cost the tfjs engine more than
 * the arithmetic: each block and pass is about twenty kernel calls with their gradient
 * bookkeeping.
 *
 * FUSED_RESIDUAL: inputs `x` [B, H, W, C]; `w1` [kH, kW, C, 2C], `b1`, `g1`, `be1` [2C];
 * `w2` [kH, kW, C, C], `b2`, `g2`, `be2` [C]. Attrs: `pad` [[top, bottom], [left, right]]
 * (which must keep H and W), `eps`. Outputs:
 *   y = x + instanceNorm(conv2d(glu(instanceNorm(conv2d(x, w1) + b1, g1, be1)), w2) + b2, g2, be2)
 * [B, H, W, C], then a workspace holding what the gradient needs (its layout is the
 * backend's own; pass it to FUSED_RESIDUAL_GRAD unchanged).
 *
 * FUSED_RESIDUAL_GRAD: inputs `dy`, `x`, `w1`, `g1`, `be1`, `w2`, `g2`, `workspace`; attrs
 * as above. Outputs: the gradients of x, w1, b1, g1, be1, w2, b2, g2, be2, in that order.
 */
export const FUSED_RESIDUAL = 'VoiceswapResidualBlock';
export const FUSED_RESIDUAL_GRAD = 'VoiceswapResidualBlockGrad';

export interface FusedResidualAttrs {
  pad: [[number, number], [number, number]];
  eps: number;
}

/** Whether a backend's FUSED_RESIDUAL covers a block: x's shape, the kernel [kH, kW] and the padding. */
export type ResidualCoverage = (xShape: readonly number[], kernel: readonly [number, number], pad: FusedResidualAttrs['pad']) => boolean;

const coverage = new Map<string, ResidualCoverage>();

/** Called by a backend that registers FUSED_RESIDUAL: which blocks it can run. */
export function setResidualCoverage(backendName: string, covers: ResidualCoverage): void {
  coverage.set(backendName, covers);
}

/** Whether `backendName` runs this residual block as FUSED_RESIDUAL (else: layer by layer). */
export function fusedResidualCovers(backendName: string, xShape: readonly number[], kernel: readonly [number, number], pad: FusedResidualAttrs['pad']): boolean {
  return coverage.get(backendName)?.(xShape, kernel, pad) ?? false;
}
