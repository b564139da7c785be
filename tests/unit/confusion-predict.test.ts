/**
 * "Try the model" on tfjs's CPU backend: one image's class probabilities are those of the same image prepared by the
 * training batch source, they sum to 1, and no tensor is left behind.
 */
import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageDataset } from '../../src/core/data/dataset';
import { MODEL_BUILDERS } from '../../src/core/models';
import { createRng } from '../../src/core/rng';
import { initBackend } from '../../src/core/train/backend';
import { cpuUploadSource } from '../../src/core/train/batches';
import { classProbabilities } from '../../src/core/train/evaluation';
import { loadShippedDataset } from './shipped-data';

let dataset: ImageDataset;

beforeAll(async () => {
  dataset = await loadShippedDataset();
  await initBackend('cpu');
});

describe('classProbabilities', () => {
  it('matches the softmax of the model on the training pipeline’s input for the same image, and sums to 1', async () => {
    const input = { height: dataset.height, width: dataset.width, channels: dataset.channels };
    for (const name of ['mlp', 'cnn-small'] as const) {
      const model = MODEL_BUILDERS[name].build(input, dataset.classNames.length, createRng(5));
      const tensorsBefore = tf.memory().numTensors;
      const pixelsPerImage = dataset.height * dataset.width * dataset.channels;
      for (const index of [0, 4321]) {
        const pixels = dataset.images.slice(index * pixelsPerImage, (index + 1) * pixelsPerImage);
        const probabilities = await classProbabilities(model, pixels);
        const { x, y } = cpuUploadSource(dataset).batch([index]);
        const expected = tf.tidy(() => tf.softmax(model.apply(x, { training: false }) as tf.Tensor2D).squeeze().arraySync() as number[]);
        tf.dispose([x, y]);
        expect(probabilities).toHaveLength(dataset.classNames.length);
        probabilities.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 6));
        expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      await expect(classProbabilities(model, new Uint8Array(10))).rejects.toThrow('The image has 10 values; the model takes 28 × 28 × 1.');
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      model.dispose();
    }
  });
});
