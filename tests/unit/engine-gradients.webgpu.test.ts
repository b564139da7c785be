/**
 * The fused WebGPU engine on Node (Dawn; SwiftShader without a GPU) against tfjs's autodiff on the same weights and
 * batch: loss and every weight gradient at K = 1 and K = 4 (the accumulated mean equals the full-batch gradient, no
 * BatchNorm here) and with label smoothing, one Adam step against tf.train.adam, and its buffers counted by tfjs's buffer manager.
 */
import * as tf from '../../src/core/tf';
import '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { FusedEngine } from '../../src/core/engine/engine';
import { createMemoryInstrument } from '../../src/core/measure/memory-instrument';
import { flushPendingReleases } from '../../src/core/measure/webgpu-buffers';
import { autodiff, relativeError, seededBatch, seededModel } from './engine-cases';

const BATCH = 8;
const TOLERANCE = 1e-4;

beforeAll(async () => {
  expect(await tf.setBackend('webgpu')).toBe(true);
});

describe.each(['mlp', 'cnn-small'] as const)('%s on the fused engine', (name) => {
  it.each([[1, 0], [4, 0], [4, 0.1]])('loss and weight gradients equal tfjs autodiff at K = %i, label smoothing %f', async (k, epsilon) => {
    const model = seededModel(name);
    const { x, y } = seededBatch(BATCH, 11);
    const reference = await autodiff(model, x, y, epsilon);
    const engine = new FusedEngine(model, { batchSize: BATCH, accumulationSteps: k, learningRate: 1e-3, labelSmoothing: epsilon });
    await engine.compile();
    const fused = await engine.gradients(x, y);
    const errors = fused.gradients.map((g, i) => relativeError(g, reference.gradients[i]!));
    console.info(`[measure] ${name} K=${k} ε=${epsilon}: loss ${fused.loss} vs ${reference.loss}; gradient errors ${errors.map((e) => e.toExponential(1)).join(' ')}`);
    expect(Math.abs(fused.loss - reference.loss) / reference.loss).toBeLessThan(TOLERANCE);
    expect(errors).toHaveLength(model.trainableWeights.length);
    errors.forEach((error, i) => expect(error, model.trainableWeights[i]!.name).toBeLessThan(TOLERANCE));
    engine.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });

  it('one Adam step applies the same update as tf.train.adam given the same gradients', async () => {
    // Adam's first step is lr · g / (|g| + ε): for entries with g near 0 it amplifies the last bits of the gradient,
    // so the update is compared on the fused gradients themselves (recomputed bit for bit by the step).
    const [fusedModel, tfjsModel] = [seededModel(name), seededModel(name)];
    const { x, y } = seededBatch(BATCH, 21);
    const engine = new FusedEngine(fusedModel, { batchSize: BATCH, learningRate: 1e-2 });
    await engine.compile();
    const { gradients } = await engine.gradients(x, y);
    engine.step(x, y);
    const [metrics] = await engine.readMetrics();
    engine.syncToModel();
    expect(metrics!.step).toBe(1);
    const optimizer: tf.Optimizer = tf.train.adam(1e-2);
    const weights = tfjsModel.trainableWeights;
    const grads = Object.fromEntries(weights.map((w, i) => [(w.read() as tf.Variable).name, tf.tensor(gradients[i]!, w.shape as number[])]));
    optimizer.applyGradients(grads);
    const errors = await Promise.all(fusedModel.trainableWeights.map(async (w, i) =>
      relativeError(await w.read().data(), await weights[i]!.read().data())));
    console.info(`[measure] ${name} weights after one Adam step: errors ${errors.map((e) => e.toExponential(1)).join(' ')}`);
    errors.forEach((error, i) => expect(error, fusedModel.trainableWeights[i]!.name).toBeLessThan(TOLERANCE));
    engine.dispose();
    optimizer.dispose();
    tf.dispose([x, y, grads]);
    fusedModel.dispose();
    tfjsModel.dispose();
  });
});

describe('fused engine memory', () => {
  it('allocates through the buffer manager the instrument observes, and returns every byte and tensor', async () => {
    const model = seededModel('cnn-small');
    const { x, y } = seededBatch(BATCH, 31);
    tf.dispose(model.predict(x)); // the weights are on the GPU before the instrument starts …
    flushPendingReleases(); // … and nothing disposed is still held by tfjs's deferred release
    const tensors = tf.memory().numTensors;
    const instrument = createMemoryInstrument();
    instrument.start();
    const engine = new FusedEngine(model, { batchSize: BATCH, accumulationSteps: 2, learningRate: 1e-3 });
    const held = instrument.snapshot().currentBytes! - instrument.snapshot().baselineBytes!;
    expect(held).toBe(engine.bufferBytes);
    // Parameters, gradients and Adam's two moments are four flat copies of the 10 architecture's weights at least.
    const parameters = model.trainableWeights.reduce((sum, w) => sum + w.read().size, 0);
    expect(engine.bufferBytes).toBeGreaterThan(4 * 4 * parameters);
    await engine.compile();
    for (let i = 0; i < 3; i++) engine.step(x, y);
    const metrics = await engine.readMetrics();
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    engine.syncToModel();
    engine.dispose();
    flushPendingReleases(); // the weights syncToModel replaced are released at tfjs's next submit
    expect(tf.memory().numTensors).toBe(tensors);
    expect(instrument.snapshot().currentBytes).toBe(instrument.snapshot().baselineBytes);
    instrument.stop();
    tf.dispose([x, y]);
    model.dispose();
  });
});
