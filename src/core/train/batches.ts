import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset';

/** Uploads the images at `indices` as a float batch [n, h, w, c] in [0, 1] with one-hot labels. */
export function makeBatch(dataset: ImageDataset, indices: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const pixels = dataset.height * dataset.width * dataset.channels;
  const x = new Float32Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  for (let row = 0; row < indices.length; row++) {
    const index = indices[row]!;
    const source = dataset.images.subarray(index * pixels, (index + 1) * pixels);
    const offset = row * pixels;
    for (let p = 0; p < pixels; p++) x[offset + p] = source[p]! / 255;
    labels[row] = dataset.labels[index]!;
  }
  return tf.tidy(() => ({
    x: tf.tensor4d(x, [indices.length, dataset.height, dataset.width, dataset.channels]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), dataset.classNames.length).toFloat() as tf.Tensor2D,
  }));
}
