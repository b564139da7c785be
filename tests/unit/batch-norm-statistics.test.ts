import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchNormLayerInternals } from '../../src/core/backend-internals';
import { BATCH_NORM_RECALIBRATION_IMAGES } from '../../src/core/models/catalog';
import type { BatchSource } from '../../src/core/train/batches';
import { recalibrateBatchNorm } from '../../src/core/train/batch-norm-statistics';

const IMAGES = 300;
let pixels: tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  // Channel-dependent offsets and scales so that the statistics are far from BatchNorm's initial (0, 1).
  pixels = tf.tidy(() => tf.randomNormal([IMAGES, 4, 4, 1], 3, 2, 'float32', 7) as tf.Tensor4D);
});

const source: BatchSource = {
  batch: (indices) => tf.tidy(() => {
    const rows = tf.tensor1d(Int32Array.from(indices), 'int32');
    return { x: tf.gather(pixels, rows) as tf.Tensor4D, y: tf.oneHot(tf.mod(rows, tf.scalar(2, 'int32')), 2).toFloat() as tf.Tensor2D };
  }),
  dispose: () => {},
};

/** conv → BatchNorm → dense, with the conv output (BatchNorm's input) exposed. */
function modelWithBatchNorm() {
  const input = tf.input({ shape: [4, 4, 1] });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })
    .apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ momentum: 0.9 });
  const normalized = bn.apply(conv) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(normalized) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: logits }), features: tf.model({ inputs: input, outputs: conv }), bn };
}

describe('precise BatchNorm statistics before validation', () => {
  it('sets the moving mean and variance to the average of the batch statistics, and changes nothing else', () => {
    const { model, features, bn } = modelWithBatchNorm();
    const order = Int32Array.from({ length: IMAGES }, (_, i) => (i * 7) % IMAGES);
    const batchSize = 20;
    const trainable = model.trainableWeights.map((w) => w.read().arraySync());
    const tensorsBefore = tf.memory().numTensors;

    const used = recalibrateBatchNorm(model, source, order, batchSize);

    expect(used).toBe(Math.floor(BATCH_NORM_RECALIBRATION_IMAGES / batchSize) * batchSize);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect((bn as unknown as BatchNormLayerInternals).momentum).toBe(0.9);
    expect(model.trainableWeights.map((w) => w.read().arraySync())).toEqual(trainable);
    // Independently: per-batch moments of BatchNorm's input, averaged over the batches used.
    const expected = tf.tidy(() => {
      const perBatch = Array.from({ length: used / batchSize }, (_, i) => {
        const { x } = source.batch(order.subarray(i * batchSize, (i + 1) * batchSize));
        return tf.moments(features.predict(x) as tf.Tensor, [0, 1, 2]);
      });
      return [tf.mean(tf.stack(perBatch.map((m) => m.mean)), 0).arraySync(), tf.mean(tf.stack(perBatch.map((m) => m.variance)), 0).arraySync()];
    });
    const [movingMean, movingVariance] = bn.getWeights().slice(2).map((w) => w.arraySync() as number[]);
    movingMean!.forEach((value, c) => expect(value).toBeCloseTo((expected[0] as number[])[c]!, 5));
    movingVariance!.forEach((value, c) => expect(value).toBeCloseTo((expected[1] as number[])[c]!, 5));
    // Far from the initial (0, 1): the test would notice a recalibration that did nothing.
    expect(Math.max(...movingMean!.map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('uses one batch of everything when fewer images than a batch exist, and nothing without BatchNorm', () => {
    const { model } = modelWithBatchNorm();
    expect(recalibrateBatchNorm(model, source, Int32Array.from([0, 1, 2, 3, 4]), 20)).toBe(5);
    const input = tf.input({ shape: [4, 4, 1] });
    const plain = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(input)) as tf.SymbolicTensor });
    expect(recalibrateBatchNorm(plain, source, Int32Array.from([0, 1, 2]), 2)).toBe(0);
  });
});
