import * as tf from '@tensorflow/tfjs';

/**
 * Gradients of Sum and Mean that broadcast dy to the input's shape (one Tile, which the
 * native backend runs in place of allocating) instead of multiplying it by a new tensor of
 * ones, as tfjs's own do: every instance norm and bias gradient goes through them, and on
 * the native backend the tensors of ones, filled in JavaScript and never recycled, cost a
 * tenth of a training step. The values are exactly tfjs's (dy * 1 / n is dy / n).
 *
 * Gradients are registered per kernel for all backends, so this applies to every backend
 * in the process once the native backend is started.
 */
export function registerBroadcastReductionGradients(): void {
  tf.registerGradient({ kernelName: tf.Sum, inputsToSave: ['x'], gradFunc: sumGradient });
  tf.registerGradient({ kernelName: tf.Mean, inputsToSave: ['x'], gradFunc: meanGradient });
}

/** What a gradient function returns: for each saved input, a function computing its gradient. */
type GradientMap = ReturnType<tf.GradFunc>;

/** dy reshaped to x's rank, with 1 along the reduced axes. */
function expandedGradient(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) shape[a] = 1;
  return tf.cast(tf.reshape(dy, shape), 'float32');
}

function sumGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap): GradientMap {
  const [x] = saved as [tf.Tensor];
  const axis = attrs.axis as number | number[];
  return { x: () => tf.broadcastTo(expandedGradient(dy as tf.Tensor, x, axis), x.shape) };
}

function meanGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap): GradientMap {
  const [x] = saved as [tf.Tensor];
  const axis = attrs.axis as number | number[];
  const count = tf.util.sizeFromShape(tf.util.parseAxisParam(axis, x.shape).map((a) => x.shape[a]!));
  return { x: () => tf.broadcastTo(tf.div(expandedGradient(dy as tf.Tensor, x, axis), count), x.shape) };
}
