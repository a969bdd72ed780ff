import * as tf from '@tensorflow/tfjs';

/**
 * CycleGAN-VC2's losses, each a mean over all elements as in the PyTorch reference.
 */

/** Least-squares GAN loss for the generator: mean((D(fake) - 1)^2). */
export function lsganGeneratorLoss(scoresFake: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(scoresFake, 1))));
}

/**
 * Least-squares GAN loss for a discriminator:
 * 0.5 * (mean((D(real) - 1)^2) + mean(D(fake)^2)).
 */
export function lsganDiscriminatorLoss(scoresReal: tf.Tensor, scoresFake: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(scoresReal, 1))), tf.mean(tf.square(scoresFake)))));
}

/** Mean absolute error. */
export function l1(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))));
}
