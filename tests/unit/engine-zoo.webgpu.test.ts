/**
 * The fused engine on the zoo's BatchNorm models (Dawn; SwiftShader without a GPU), on 12×12 images to keep the test
 * short: loss and every weight gradient against tfjs's autodiff at K = 1 (batch 8) and K = 4 (batch 32: micro-batches
 * of 8, so the same compiled programs), each micro-batch normalised by its own statistics as the trainer does (errors
 * relative to each tensor's scale, at least a thousandth of the model's largest gradient: `modelScale`); the
 * moving statistics after two batches (4 micro-batches) against tfjs-layers'; every buffer and tensor returned.
 */
import * as tf from '../../src/core/tf';
import '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelName } from '../../src/core/config';
import { FusedEngine } from '../../src/core/engine/engine';
import { createMemoryInstrument } from '../../src/core/measure/memory-instrument';
import { flushPendingReleases } from '../../src/core/measure/webgpu-buffers';
import { MODEL_BUILDERS } from '../../src/core/models';
import { createRng } from '../../src/core/rng';
import { autodiff, CLASSES, modelScale, relativeError } from './engine-cases';

const MICRO = 8;
const SIZE = 12;
const TOLERANCE = 1e-4;
const LIMIT = 600_000;

beforeAll(async () => {
  expect(await tf.setBackend('webgpu')).toBe(true);
});

function zooModel(name: ModelName): tf.LayersModel {
  return MODEL_BUILDERS[name].build({ height: SIZE, width: SIZE, channels: 1 }, CLASSES, createRng(3));
}

function batchOf(size: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => ({
    x: tf.randomUniform([size, SIZE, SIZE, 1], 0, 1, 'float32', seed),
    y: tf.oneHot(tf.randomUniform([size], 0, CLASSES, 'int32', seed + 1) as tf.Tensor1D, CLASSES).toFloat(),
  }));
}

async function movingStatistics(model: tf.LayersModel): Promise<Float32Array[]> {
  const moving = model.nonTrainableWeights.filter((w) => /moving_(mean|variance)$/.test(w.name));
  return Promise.all(moving.map((w) => w.read().data() as Promise<Float32Array>));
}

describe.each(['resnet-mini', 'mobilenet-v2-tiny', 'efficientnet-lite-tiny'] as const)('%s on the fused engine', (name) => {
  it.each([1, 4])('loss and weight gradients equal tfjs autodiff at K = %i', { timeout: LIMIT }, async (k) => {
    const model = zooModel(name);
    const { x, y } = batchOf(MICRO * k, 11);
    const engine = new FusedEngine(model, { batchSize: MICRO * k, accumulationSteps: k, learningRate: 1e-3 });
    const compiled = await engine.compile();
    const fused = await engine.gradients(x, y);
    const reference = await autodiff(model, x, y, 0, k);
    const floor = modelScale(reference.gradients);
    const errors = fused.gradients.map((g, i) => relativeError(g, reference.gradients[i]!, floor));
    const worst = errors.indexOf(Math.max(...errors));
    console.info(`[measure] ${name} K=${k}: loss ${fused.loss} vs ${reference.loss}; ${errors.length} gradients, largest error ` +
      `${errors[worst]!.toExponential(1)} (${model.trainableWeights[worst]!.name}); ${engine.dispatchesPerStep} dispatches per ` +
      `step; ${compiled.programs} programs, ${compiled.created} compiled in ${compiled.ms.toFixed(0)} ms`);
    expect(Math.abs(fused.loss - reference.loss) / reference.loss).toBeLessThan(TOLERANCE);
    expect(errors).toHaveLength(model.trainableWeights.length);
    errors.forEach((error, i) => expect(error, model.trainableWeights[i]!.name).toBeLessThan(TOLERANCE));
    engine.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });

  it('moves the BatchNorm statistics as tfjs-layers does over 2 batches at K = 2, and returns every buffer', { timeout: LIMIT }, async () => {
    // Forward and backward passes without weight updates: after Adam steps, β of the BatchNorms whose gradient is zero
    // up to rounding (see modelScale) would move by ±lr on either side from noise and take the statistics after it along.
    const [fusedModel, tfjsModel] = [zooModel(name), zooModel(name)];
    const batches = [0, 1].map((i) => batchOf(2 * MICRO, 40 + i));
    for (const { x, y } of batches) await autodiff(tfjsModel, x, y, 0, 2);
    const initial = await movingStatistics(fusedModel);
    const options = { batchSize: 2 * MICRO, accumulationSteps: 2, learningRate: 1e-3 };
    // A first engine puts every variable on the GPU before the instrument starts (tfjs keeps small ones on the CPU
    // until then) …
    new FusedEngine(fusedModel, options).dispose();
    flushPendingReleases(); // … and nothing disposed is still held by tfjs's deferred release
    const tensors = tf.memory().numTensors;
    const instrument = createMemoryInstrument();
    instrument.start();
    const engine = new FusedEngine(fusedModel, options);
    await engine.compile();
    for (const { x, y } of batches) await engine.gradients(x, y);
    engine.syncToModel();
    engine.dispose();
    flushPendingReleases(); // the variables syncToModel replaced are released at tfjs's next submit
    expect(tf.memory().numTensors).toBe(tensors);
    expect(instrument.snapshot().currentBytes).toBe(instrument.snapshot().baselineBytes);
    instrument.stop();
    const [fused, reference] = [await movingStatistics(fusedModel), await movingStatistics(tfjsModel)];
    // A BatchNorm after a 1×1 convolution of a linear BatchNorm's output has a batch mean of zero in exact arithmetic
    // (that output's mean is β = 0): rounding noise on both sides, so the floor as for gradients.
    const floor = modelScale(reference);
    const errors = fused.map((values, i) => relativeError(values, reference[i]!, floor));
    console.info(`[measure] ${name} moving statistics after 2 batches at K = 2: ${errors.length} tensors, largest error ` +
      `${Math.max(...errors).toExponential(1)}`);
    expect(errors.length).toBeGreaterThan(0);
    errors.forEach((error, i) => expect(error, `moving statistic ${i}`).toBeLessThan(TOLERANCE));
    // The variances moved from their initial ones (4 updates at momentum 0.9; some means stay 0, as said above).
    const variances = fused.filter((_, i) => i % 2 === 1);
    variances.forEach((values, i) => expect(relativeError(values, initial[2 * i + 1]!), `moving variance ${i}`).toBeGreaterThan(1e-3));
    tf.dispose(batches);
    fusedModel.dispose();
    tfjsModel.dispose();
  });
});
