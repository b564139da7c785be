/**
 * Training on the fused WebGPU engine against tfjs (Dawn; SwiftShader without a GPU): Adam steps give tfjs's loss
 * curve (mlp 20 steps; cnn-small 10 at K = 4, its stock-tfjs reference is slow here), metrics come back without being
 * asked for, learning-rate schedules and label smoothing match tfjs's path, and a non-finite loss is caught within
 * metricsEvery steps.
 */
import * as tf from '../../src/core/tf';
import '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FusedEngine } from '../../src/core/engine/engine';
import { learningRateAt } from '../../src/core/train/schedule';
import { classificationLoss } from '../../src/core/train/optimizer-step';
import { seededBatch, seededModel } from './engine-cases';

const LEARNING_RATE = 3e-3;
/**
 * Per step, |fused − tfjs| / tfjs loss. Measured on SwiftShader: at most 2.1e-7 over 20 steps; the margin is for Adam,
 * whose division by √v + ε can amplify the last bits of near-zero gradients on another adapter.
 */
const CURVE_TOLERANCE = 1e-5;

beforeAll(async () => {
  expect(await tf.setBackend('webgpu')).toBe(true);
});

/**
 * The trainer's loop on stock kernels: mean loss over the whole batch, one Adam step at the step's learning rate (set
 * as the trainer's setLearningRate does), loss read back per step.
 */
async function tfjsCurve(
  model: tf.LayersModel, batches: { x: tf.Tensor; y: tf.Tensor }[], learningRate: (step: number) => number = () => LEARNING_RATE,
  labelSmoothing = 0,
): Promise<number[]> {
  const optimizer: tf.Optimizer = tf.train.adam(LEARNING_RATE);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  for (const [step, { x, y }] of batches.entries()) {
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate(step);
    const loss = optimizer.minimize(
      () => classificationLoss(y, model.apply(x, { training: true }) as tf.Tensor, labelSmoothing), true, variables)!;
    losses.push((await loss.data())[0]!);
    loss.dispose();
  }
  optimizer.dispose();
  return losses;
}

// cnn-small at batch 4 (micro-batches of 1) and 10 steps: stock tfjs's convolutions make the reference the slow half.
describe.each([['mlp', 1, 8, 20], ['cnn-small', 4, 4, 10]] as const)('%s on the fused engine, K = %i, batch %i', (name, k, batch, steps) => {
  it(`follows tfjs's loss curve for ${steps} Adam steps`, async () => {
    const batches = Array.from({ length: steps }, (_, i) => seededBatch(batch, 100 + i));
    const reference = await tfjsCurve(seededModel(name), batches);
    const model = seededModel(name);
    const engine = new FusedEngine(model, { batchSize: batch, accumulationSteps: k, learningRate: LEARNING_RATE, metricsEvery: 4 });
    await engine.compile();
    for (const { x, y } of batches) engine.step(x, y);
    const metrics = await engine.readMetrics();
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    const errors = metrics.map((m, i) => Math.abs(m.loss - reference[i]!) / reference[i]!);
    console.info(`[measure] ${name} K=${k}: loss ${reference[0]!.toFixed(4)} → ${reference[steps - 1]!.toFixed(4)} (tfjs), ` +
      `${metrics[steps - 1]!.loss.toFixed(4)} (fused); largest relative difference ${Math.max(...errors).toExponential(1)}`);
    errors.forEach((error, i) => expect(error, `step ${i + 1}`).toBeLessThan(CURVE_TOLERANCE));
    expect(reference[steps - 1]).toBeLessThan(reference[0]!);
    engine.dispose();
    tf.dispose(batches);
    model.dispose();
  });
});

describe('a schedule and label smoothing on the fused engine', () => {
  it.each(['warmup-cosine', 'one-cycle'] as const)('follows tfjs with %s and ε = 0.1 for 12 Adam steps (mlp, K = 2)', async (name) => {
    const steps = 12;
    const schedule = (step: number) => learningRateAt({ name, learningRate: 1e-2, warmupFraction: 0.25 }, step, steps);
    const batches = Array.from({ length: steps }, (_, i) => seededBatch(8, 300 + i));
    const reference = await tfjsCurve(seededModel('mlp'), batches, schedule, 0.1);
    const model = seededModel('mlp');
    const engine = new FusedEngine(model, { batchSize: 8, accumulationSteps: 2, learningRate: schedule, labelSmoothing: 0.1 });
    await engine.compile();
    for (const { x, y } of batches) engine.step(x, y);
    const metrics = await engine.readMetrics();
    const errors = metrics.map((m, i) => Math.abs(m.loss - reference[i]!) / reference[i]!);
    console.info(`[measure] mlp ${name} ε=0.1: loss ${reference[0]!.toFixed(4)} → ${reference[steps - 1]!.toFixed(4)} (tfjs); ` +
      `largest relative difference ${Math.max(...errors).toExponential(1)}`);
    expect(metrics).toHaveLength(steps);
    errors.forEach((error, i) => expect(error, `step ${i + 1}`).toBeLessThan(CURVE_TOLERANCE));
    // The same curve at the constant peak rate differs: the schedule really reached the kernels.
    const constant = await tfjsCurve(seededModel('mlp'), batches, () => 1e-2, 0.1);
    expect(Math.abs(constant[steps - 1]! - metrics[steps - 1]!.loss) / constant[steps - 1]!).toBeGreaterThan(100 * CURVE_TOLERANCE);
    engine.dispose();
    tf.dispose(batches);
    model.dispose();
  });
});

describe('fused engine metrics', () => {
  it('reads metrics back every metricsEvery steps on its own and reports the first non-finite loss', async () => {
    const model = seededModel('mlp');
    const { x, y } = seededBatch(8, 7);
    // NaN labels, not images: max(NaN, 0) in a relu may well be 0 in WGSL, which would hide NaN inputs.
    const poisoned = tf.fill([8, 10], Number.NaN);
    const engine = new FusedEngine(model, { batchSize: 8, learningRate: 1e-3, metricsEvery: 2 });
    await engine.compile();
    engine.step(x, y);
    engine.step(x, poisoned);
    engine.step(x, y);
    expect(engine.firstNonFiniteStep).toBeNull(); // nothing is waited for inside step()
    await vi.waitFor(() => expect(engine.firstNonFiniteStep).not.toBeNull(), { timeout: 30_000, interval: 10 });
    expect(engine.firstNonFiniteStep!.step).toBe(2);
    const metrics = await engine.readMetrics();
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    expect(Number.isFinite(metrics[0]!.loss)).toBe(true);
    engine.dispose();
    tf.dispose([x, y, poisoned]);
    model.dispose();
  });
});
