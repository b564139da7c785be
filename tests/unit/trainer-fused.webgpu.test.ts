/**
 * The trainer on the fused WebGPU engine against tfjs's kernels on Dawn: same seed, same first loss, close curves,
 * the engine's buffers in the true peak, a BatchNorm model validated after syncToModel; a run it does not cover falls back
 * to tfjs with the reason.
 */
import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig, type Engine, type ModelName, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { Environment } from '../../src/core/environment';
import type { StepEvent } from '../../src/core/events';
import type { RunResult } from '../../src/core/result';
import { initBackend } from '../../src/core/train/backend';
import { runTraining } from '../../src/core/train/trainer';
import { freshWebGpuBackend } from '../setup/fresh-webgpu-backend';
import { loadShippedDataset } from './shipped-data';

let environment: Environment;
let dataset: ImageDataset;

beforeAll(async () => {
  environment = await initBackend('webgpu');
  dataset = await loadShippedDataset();
});

/** One run on a fresh backend (as the app's worker per run): its result, step events and the tensors it left. */
async function train(
  model: ModelName, engine: Engine, subsetFraction: number, stopAfterFirstStep = false, overrides: Partial<RunConfig> = {},
): Promise<{ result: RunResult; steps: StepEvent[]; leaked: number }> {
  await freshWebGpuBackend();
  const config: RunConfig = {
    ...defaultRunConfig(), model, engine, backend: 'webgpu', batchSize: 32, epochs: 1, subsetFraction, ...overrides,
  };
  const before = tf.memory().numTensors;
  const steps: StepEvent[] = [];
  const result = await runTraining(config, dataset, environment, {
    emit: (event) => { if (event.type === 'step') steps.push(event); },
    isCancelled: () => stopAfterFirstStep && steps.length > 0,
  });
  return { result, steps, leaked: tf.memory().numTensors - before };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

describe('runTraining with the fused engine on Node WebGPU', () => {
  // 96 training images: 3 steps of 32; 12 validation images.
  it.each(['mlp', 'cnn-small'] as const)('trains %s like tfjs does from the same seed', async (model) => {
    const tfjs = await train(model, 'tfjs', 0.012);
    const fused = await train(model, 'fused', 0.012);

    expect(fused.result.status).toBe('done');
    expect(fused.result.engine).toMatchObject({ requested: 'fused', ran: 'fused', reason: null, stepTimeSource: 'window' });
    expect(fused.result.engine!.dispatchesPerStep).toBeGreaterThan(0);
    expect(tfjs.result.engine).toMatchObject({ requested: 'tfjs', ran: 'tfjs', reason: null, stepTimeSource: 'per-step' });
    expect(fused.steps.map((s) => s.step)).toEqual(tfjs.steps.map((s) => s.step));
    expect(fused.steps.length).toBeGreaterThanOrEqual(3);
    expect(fused.steps.every((s) => s.stepTimeSource === 'window' && s.stepMs > 0)).toBe(true);

    // Same initial weights and first batch: the first loss agrees to float32 rounding of a different summation order.
    expect(relative(fused.steps[0]!.loss, tfjs.steps[0]!.loss)).toBeLessThan(1e-4);
    // Adam's first steps amplify rounding (its update is ≈ lr·sign(g) while v is small): a looser state tolerance.
    for (const [i, step] of fused.steps.entries()) expect(relative(step.loss, tfjs.steps[i]!.loss)).toBeLessThan(2e-2);
    expect(relative(fused.result.accuracy.finalValLoss!, tfjs.result.accuracy.finalValLoss!)).toBeLessThan(2e-2);

    // The engine's buffers go through tfjs's buffer manager: weights, gradients and Adam's m and v at least.
    const params = fused.result.model.params;
    const fusedPeak = fused.result.memory.truePeakBytes!;
    const tfjsPeak = tfjs.result.memory.truePeakBytes!;
    expect(fusedPeak).toBeGreaterThanOrEqual(params * 4 * 4);
    expect(fusedPeak / tfjsPeak).toBeGreaterThan(0.1);
    expect(fusedPeak / tfjsPeak).toBeLessThan(10);

    expect(fused.leaked).toBe(0);
    expect(fused.result.memory.leakedTensors).toBe(0);
  });

  it('validates a BatchNorm model trained fused as tfjs does: moving statistics synced, then recalibrated', { timeout: 900_000 }, async () => {
    // 48 training images: 3 steps of 16 at K = 2 (BatchNorm's momentum adjusted for accumulation), then one validation.
    const overrides = { batchSize: 16, accumulationSteps: 2, learningRateSchedule: 'warmup-cosine', labelSmoothing: 0.1 } as const;
    const tfjs = await train('mobilenet-v2-tiny', 'tfjs', 0.006, false, overrides);
    const fused = await train('mobilenet-v2-tiny', 'fused', 0.006, false, overrides);
    expect(fused.result.status).toBe('done');
    expect(fused.result.engine).toMatchObject({ requested: 'fused', ran: 'fused', reason: null });
    expect(fused.steps.map((s) => s.step)).toEqual(tfjs.steps.map((s) => s.step));
    expect(relative(fused.steps[0]!.loss, tfjs.steps[0]!.loss)).toBeLessThan(1e-4);
    expect(relative(fused.result.accuracy.finalValLoss!, tfjs.result.accuracy.finalValLoss!)).toBeLessThan(2e-2);
    expect(fused.leaked).toBe(0);
  });

  it('falls back to tfjs kernels with the reason for a precision it does not have, and still trains', async () => {
    // One step of 32, then stopped.
    const { result, steps, leaked } = await train('mlp', 'fused', 0.005, true, { precision: 'mixed-fp16' });
    expect(result.status).toBe('cancelled');
    expect(result.engine).toMatchObject({ requested: 'fused', ran: 'tfjs', stepTimeSource: 'per-step', dispatchesPerStep: null });
    expect(result.engine!.reason).toMatch(/fp32 only/);
    expect(steps.length).toBe(1);
    expect(Number.isFinite(steps[0]!.loss)).toBe(true);
    expect(leaked).toBe(0);
  });
});
