import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES } from '../../src/core/config';
import { MODEL_BUILDERS, analyzeModel, estimateMemory, forwardFlopsPerExample, type InputShape } from '../../src/core/models';
import { MODEL_CATALOG } from '../../src/core/models/catalog';
import { BATCH_NORM_MOMENTUM } from '../../src/core/models/catalog';
import { makeDivisible } from '../../src/core/models/mobilenet-v2-tiny';
import { createRng } from '../../src/core/rng';

const MNIST_SHAPE: InputShape = { height: 28, width: 28, channels: 1 };
const CIFAR_SHAPE: InputShape = { height: 32, width: 32, channels: 3 };

function build(name: (typeof MODEL_NAMES)[number], input: InputShape, numClasses: number, seed = 1): tf.LayersModel {
  return MODEL_BUILDERS[name].build(input, numClasses, createRng(seed));
}

function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((weight) => weight.dataSync() as Float32Array);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(MODEL_NAMES)('%s', (name) => {
  it.each([
    { input: MNIST_SHAPE, numClasses: 10 },
    { input: CIFAR_SHAPE, numClasses: 4 },
  ])('maps $input.height×$input.width×$input.channels images to $numClasses logits', ({ input, numClasses }) => {
    const model = build(name, input, numClasses);
    const logits = tf.tidy(() => model.predict(tf.randomNormal([2, input.height, input.width, input.channels], 0, 1, 'float32', 3)) as tf.Tensor);
    expect(logits.shape).toEqual([2, numClasses]);
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    logits.dispose();
    expect(analyzeModel(model, 1).params).toBe(model.countParams());
    model.dispose();
  });

  it('gives identical initial weights for the same seed and different ones for another seed', () => {
    const [first, again, other] = [7, 7, 8].map((seed) => build(name, MNIST_SHAPE, 10, seed));
    expect(weightValues(again!)).toEqual(weightValues(first!));
    const kernel = (model: tf.LayersModel) => weightValues(model)[0];
    expect(kernel(other!)).not.toEqual(kernel(first!));
    [first, again, other].forEach((model) => model!.dispose());
  });

  it('frees every tensor it created when disposed', () => {
    const before = tf.memory().numTensors;
    build(name, CIFAR_SHAPE, 4).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('rounds channels like the MobileNetV2 reference code: to multiples of 8, at least 8, never 10 % below', () => {
  expect([4, 8, 12, 16, 20, 36, 160].map((channels) => makeDivisible(channels))).toEqual([8, 8, 16, 16, 24, 40, 160]);
});

describe('model analysis', () => {
  it('counts FLOPs of a conv + dense model as computed by hand', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3 }),
      ],
    });
    // conv: 4·4·2 = 32 outputs × 3·3·1 multiply-adds × 2 = 576, + 32 bias + 32 ReLU = 640
    // flatten: 0; dense: 2·32·3 = 192 + 3 bias = 195
    expect(forwardFlopsPerExample(model)).toBe(835);
    const analysis = analyzeModel(model, 1);
    expect(analysis.trainingFlopsPerExample).toBe(3 * 835);
    // conv 3·3·1·2 + 2, dense 32·3 + 3
    expect(analysis.params).toBe(20 + 99);
    model.dispose();
  });

  it('counts FLOPs of depthwise, ReLU6, residual add and global pooling as computed by hand', () => {
    const images = tf.input({ shape: [4, 4, 2] });
    const filtered = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }).apply(images);
    const clipped = tf.layers.reLU({ maxValue: 6 }).apply(filtered);
    const sum = tf.layers.add().apply([images, clipped as tf.SymbolicTensor]);
    const pooled = tf.layers.globalAveragePooling2d({}).apply(sum) as tf.SymbolicTensor;
    const model = tf.model({ inputs: images, outputs: pooled });
    // depthwise: 4·4·2 = 32 outputs × 3·3 multiply-adds × 2 = 576; ReLU6 32; add 32; pooling sums 32 inputs
    expect(forwardFlopsPerExample(model)).toBe(576 + 32 + 32 + 32);
    model.dispose();
  });

  it('estimates memory of a conv + BatchNorm model as computed by hand', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, padding: 'same', useBias: false }),
        tf.layers.batchNormalization(),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 3 }),
      ],
    });
    // Params: conv 18, BN 2 gamma + 2 beta (trainable) + 2 mean + 2 variance (not trainable), dense 2·3 + 3 = 9.
    const analysis = analyzeModel(model, 8);
    expect(analysis.params).toBe(35);
    expect(analysis.trainableParams).toBe(31);
    // Activations per example: input 16 + conv 32 + BN 32 + pooled 2 + logits 3 = 85 floats.
    expect(analysis.memory).toEqual({
      microBatch: 8, optimizer: 'adam',
      weightsBytes: 35 * 4,
      gradientsBytes: 31 * 4,
      optimizerBytes: 2 * 31 * 4,
      activationsBytes: 85 * 8 * 4,
      totalBytes: 35 * 4 + 31 * 4 + 2 * 31 * 4 + 85 * 8 * 4,
    });
    expect(estimateMemory(model, 8, 'sgd').optimizerBytes).toBe(0);
    model.dispose();
  });

  it('rejects a layer it has no FLOP rule for instead of guessing', () => {
    const model = tf.sequential({ layers: [tf.layers.dropout({ inputShape: [4], rate: 0.5 })] });
    expect(() => forwardFlopsPerExample(model)).toThrow(/does not know layer class Dropout/);
    model.dispose();
  });

  it('ranks resnet-mini heaviest in params, FLOPs and activation memory on 28×28×1', () => {
    const analyses = Object.fromEntries((['mobilenet-v2-tiny', 'efficientnet-lite-tiny', 'resnet-mini'] as const).map((name) => {
      const model = build(name, MNIST_SHAPE, 10);
      const analysis = analyzeModel(model, 32);
      model.dispose();
      return [name, analysis];
    }));
    const resnet = analyses['resnet-mini']!;
    for (const light of [analyses['mobilenet-v2-tiny']!, analyses['efficientnet-lite-tiny']!]) {
      expect(resnet.params).toBeGreaterThan(light.params);
      expect(resnet.forwardFlopsPerExample).toBeGreaterThan(light.forwardFlopsPerExample);
      expect(resnet.memory.activationsBytes).toBeGreaterThan(light.memory.activationsBytes);
    }
  });
});

describe('model catalog (what the UI shows without loading tfjs)', () => {
  it.each(MODEL_NAMES)('%s: hasBatchNorm matches the built layers, with PyTorch-like momentum', (name) => {
    const model = MODEL_BUILDERS[name].build({ height: 28, width: 28, channels: 1 }, 10, createRng(1));
    const batchNorms = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
    expect(batchNorms.length > 0).toBe(MODEL_CATALOG[name].hasBatchNorm);
    for (const layer of batchNorms) expect(layer.getConfig().momentum).toBe(BATCH_NORM_MOMENTUM);
    model.dispose();
  });
});
