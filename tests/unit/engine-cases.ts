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

/** max |a − b| / max |b|: the error relative to the tensor's scale, so tiny entries do not inflate it. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * tfjs's mean softmax cross-entropy (label smoothing ε as the trainer's loss) and its gradients for the model's
 * trainable variables, in their order.
 */
export async function autodiff(
  model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, labelSmoothing = 0,
): Promise<{ loss: number; gradients: Float32Array[] }> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => classificationLoss(y, model.apply(x, { training: true }) as tf.Tensor, labelSmoothing), variables);
  const gradients = await Promise.all(variables.map((v) => grads[v.name]!.data() as Promise<Float32Array>));
  const loss = (await value.data())[0]!;
  tf.dispose([value, grads]);
  return { loss, gradients };
}
