/**
 * The fp16-activations precision mode in the trainer, on tfjs's CPU backend (the packed kernels' cpu versions): it
 * validates, trains with gradient accumulation and dynamic loss scaling without leaking, reports the packed
 * activation estimate, and ends within 1 percentage point of fp32 on the same short run.
 */
import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig, validateRunConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { Environment } from '../../src/core/environment';
import type { StepEvent, TrainerEvent } from '../../src/core/events';
import { MODEL_BUILDERS, analyzeModel } from '../../src/core/models';
import { keptActivationBytes } from '../../src/core/train/stored-activations/network';
import { createRng } from '../../src/core/rng';
import { initBackend } from '../../src/core/train/backend';
import { runTraining } from '../../src/core/train/trainer';
import { precisionNote } from '../../src/lib/explain';
import { loadShippedDataset } from './shipped-data';

let dataset: ImageDataset;
let environment: Environment;

beforeAll(async () => {
  dataset = await loadShippedDataset();
  environment = await initBackend('cpu');
});

async function train(overrides: Partial<RunConfig>) {
  const tensorsAtStep: number[] = [];
  const steps: StepEvent[] = [];
  const result = await runTraining({ ...defaultRunConfig(), backend: 'cpu', epochs: 1, ...overrides }, dataset, environment, {
    emit: (event: TrainerEvent) => {
      if (event.type !== 'step') return;
      steps.push(event);
      tensorsAtStep.push(tf.memory().numTensors);
    },
    isCancelled: () => false,
  });
  return { result, steps, tensorsAtStep };
}

describe('fp16-activations in the run configuration', () => {
  it('is accepted on webgpu, auto and cpu, and refused on webgl with what to choose instead', () => {
    for (const backend of ['webgpu', 'auto', 'cpu'] as const) {
      expect(validateRunConfig({ precision: 'fp16-activations', backend }).ok).toBe(true);
    }
    const refused = validateRunConfig({ precision: 'fp16-activations', backend: 'webgl' });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.errors).toEqual([{
      field: 'precision',
      message: expect.stringMatching(/WebGL backend cannot store.*choose backend webgpu \(or auto, or cpu\), or precision fp16-storage on WebGL/),
    }]);
  });

  it('says what is real: packed halves, fp32 compute, and that part of the saving is the schedule', () => {
    const note = precisionNote('fp16-activations', environment);
    expect(note).toMatch(/packed halves/);
    expect(note).toMatch(/schedule/);
    expect(note).not.toMatch(/no memory saving/);
    expect(note).toMatch(/On the cpu backend the saving is in its own memory, not GPU memory/);
  });
});

describe('training with fp16-activations (cpu backend)', () => {
  it('cnn-small with 2 accumulation steps of 4: trains, loss scaling on, packed estimate, no tensor left behind', async () => {
    const baseline = tf.memory().numTensors;
    const { result, steps, tensorsAtStep } = await train({
      model: 'cnn-small', precision: 'fp16-activations', batchSize: 8, accumulationSteps: 2, subsetFraction: 0.01,
    });
    expect(result.reason).toBeNull();
    expect(result.status).toBe('done');
    expect(steps.length).toBe(10);
    expect(steps.every((s) => Number.isFinite(s.loss) && s.lossScale === 2 ** 15 && !s.skipped)).toBe(true);
    expect(result.precision).toEqual({ mode: 'fp16-activations', lossScale: { finalScale: 2 ** 15, skippedSteps: 0, totalSteps: 10 } });
    // The estimate counts the packed activations of one micro-batch of 4, not the fp32 layer outputs.
    const model = MODEL_BUILDERS['cnn-small'].build({ height: 28, width: 28, channels: 1 }, 10, createRng(0));
    const fp32 = analyzeModel(model, 4).memory;
    expect(result.memory.estimate!.activationsBytes).toBe(keptActivationBytes(model, 4));
    expect(result.memory.estimate!.totalBytes).toBe(fp32.totalBytes - fp32.activationsBytes + keptActivationBytes(model, 4));
    model.dispose();
    expect(new Set(tensorsAtStep.slice(1)).size).toBe(1);
    expect(result.memory.leakedTensors).toBe(0);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('mlp: the same short run ends within 1 percentage point of fp32', async () => {
    const settings: Partial<RunConfig> = { model: 'mlp', subsetFraction: 0.3, batchSize: 32, seed: 4 };
    const fp32 = await train({ ...settings, precision: 'fp32' });
    const packed = await train({ ...settings, precision: 'fp16-activations' });
    expect(packed.result.status).toBe('done');
    // Same batches and initial weights: the first loss is the fp32 loss (the forward computes in fp32).
    expect(packed.steps[0]!.loss).toBeCloseTo(fp32.steps[0]!.loss, 5);
    const [a, b] = [fp32.result.accuracy.finalValAccuracy!, packed.result.accuracy.finalValAccuracy!];
    console.info(`[measure] mlp on cpu, ${fp32.steps.length} steps: val accuracy fp32 ${a.toFixed(4)}, fp16-activations ${b.toFixed(4)}`);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(0.01);
  });
});
