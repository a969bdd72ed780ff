import * as tf from '@tensorflow/tfjs';

/**
 * Convolution plus per-channel bias as one kernel (src/model/layers.ts conv2d), for
 * backends that provide it; elsewhere the layer runs tf.conv2d and tf.add. Every conv
 * layer of the networks is one, so this saves an Add kernel and a full-size buffer per
 * layer and pass.
 *
 * FUSED_CONV_BIAS: inputs `x` [B, H, W, Cin], `filter` [kH, kW, Cin, Cout], `bias` [Cout];
 * attrs `strides` and `pad` as tf.conv2d takes them (NHWC, no dilation); output
 * conv2d(x, filter) + bias, the bias added to the float32 result as tf.add would.
 *
 * Its gradient is registered per input rather than written with tf.customGrad, so
 * autodiff computes only the gradients it needs: in the generators' step the
 * discriminators' filter and bias gradients are never asked for.
 */
export const FUSED_CONV_BIAS = 'VoiceswapConv2DBias';

export interface FusedConvBiasAttrs {
  strides: [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
}

/** The kernels tf.conv2d's own gradient runs (Conv2DBackpropInput and -Filter), and add's for the bias. */
export function registerFusedConvBiasGradient(): void {
  tf.registerGradient({
    kernelName: FUSED_CONV_BIAS,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad } = attrs as unknown as FusedConvBiasAttrs;
      const dy4 = dy as tf.Tensor4D;
      return {
        x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dy4, filter }, { strides, pad, dataFormat: 'NHWC', inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dy4 }, { strides, pad, dataFormat: 'NHWC', filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(dy4, [0, 1, 2]),
      };
    },
  });
}
