/**
 * Shared by the fused-engine tests: a seeded MNIST-shaped model and batch, tfjs's autodiff reference, and the
 * relative error used throughout (max |a − b| / max |b| over one tensor).
 */
import * as tf from '../../src/core/tf';
import type { ModelName } from '../../src/core/config';
import { MODEL_BUILDERS } from '../../src/core/models';
import { createRng } from '../../src/core/rng';
import { classificationLoss } from '../../src/core/train/optimizer-step';

export const MNIST = { height: 28, width: 28, channels: 1 };
export const CLASSES = 10;

export function seededModel(name: ModelName, seed = 3): tf.LayersModel {
  return MODEL_BUILDERS[name].build(MNIST, CLASSES, createRng(seed));
}

/** Random images in [0, 1) and one-hot labels, both seeded. */
export function seededBatch(size: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.randomUniform([size, MNIST.height, MNIST.width, MNIST.channels], 0, 1, 'float32', seed) as tf.Tensor4D,
    y: tf.oneHot(tf.randomUniform([size], 0, CLASSES, 'int32', seed + 1) as tf.Tensor1D, CLASSES).toFloat() as tf.Tensor2D,
  }));
}

/**
 * max |a − b| / max(max |b|, floor): the error relative to the tensor's scale, so tiny entries do not inflate it; the
 * floor is for tensors that are zero up to rounding (see `modelScale`).
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 0): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * A thousandth of the largest gradient entry of the model: the floor of `relativeError` for gradients that are zero
 * up to rounding, e.g. β of a BatchNorm whose output reaches the loss only through linear layers into other
 * BatchNorms (each BatchNorm's input gradient sums to zero per channel, so Σdy is exactly zero in real arithmetic).
 */
export function modelScale(gradients: ArrayLike<number>[]): number {
  let largest = 0;
  for (const g of gradients) for (let i = 0; i < g.length; i++) largest = Math.max(largest, Math.abs(g[i]!));
  return 1e-3 * largest;
}

/**
 * tfjs's mean softmax cross-entropy (label smoothing ε as the trainer's loss) and its gradients for the model's
 * trainable variables, in their order, averaged over K micro-batches as the trainer accumulates them (with BatchNorm,
 * each micro-batch normalises by its own statistics and updates the moving ones).
 */
export async function autodiff(
  model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, labelSmoothing = 0, accumulation = 1,
): Promise<{ loss: number; gradients: Float32Array[] }> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const micro = x.shape[0]! / accumulation;
  const sums = variables.map((v) => new Float32Array(v.size));
  let loss = 0;
  for (let k = 0; k < accumulation; k++) {
    const [xs, ys] = [x.slice(k * micro, micro), y.slice(k * micro, micro)];
    const { value, grads } = tf.variableGrads(
      () => classificationLoss(ys, model.apply(xs, { training: true }) as tf.Tensor, labelSmoothing), variables);
    const gradients = await Promise.all(variables.map((v) => grads[v.name]!.data() as Promise<Float32Array>));
    gradients.forEach((g, i) => g.forEach((value, j) => { sums[i]![j]! += value / accumulation; }));
    loss += (await value.data())[0]! / accumulation;
    tf.dispose([value, grads, xs, ys]);
  }
  return { loss, gradients: sums };
}
