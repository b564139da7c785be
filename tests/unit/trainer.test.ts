import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { Environment } from '../../src/core/environment';
import type { StepEvent, TrainedModel, TrainerEvent } from '../../src/core/events';
import { MODEL_BUILDERS } from '../../src/core/models';
import { createRng } from '../../src/core/rng';
import { initBackend } from '../../src/core/train/backend';
import { cpuUploadSource } from '../../src/core/train/batches';
import { recalibrateBatchNorm } from '../../src/core/train/batch-norm-statistics';
import { BATCH_NORM_RECALIBRATION_IMAGES } from '../../src/core/models/catalog';
import { roundToFloat16 } from '../../src/core/train/precision';
import { HALF_FLOAT_ADAM_EPSILON, accumulatedGradients, createStepContext } from '../../src/core/train/optimizer-step';
import { runTraining } from '../../src/core/train/trainer';
import { loadShippedDataset } from './shipped-data';

// The pure-JS CPU backend is slow (a cnn-small step at batch 32 takes seconds), so these runs are tiny.
const TINY: Partial<RunConfig> = { model: 'mlp', subsetFraction: 0.02, batchSize: 16, epochs: 1, backend: 'cpu' };

let dataset: ImageDataset;
let environment: Environment;

beforeAll(async () => {
  dataset = await loadShippedDataset();
  environment = await initBackend('cpu');
});

async function train(overrides: Partial<RunConfig>, cancelAfterStep = Number.POSITIVE_INFINITY) {
  const events: TrainerEvent[] = [];
  const tensorsAtStep: number[] = [];
  const result = await runTraining({ ...defaultRunConfig(), ...TINY, ...overrides }, dataset, environment, {
    emit: (event) => {
      events.push(event);
      if (event.type === 'step') tensorsAtStep.push(tf.memory().numTensors);
    },
    isCancelled: () => events.filter((e) => e.type === 'step').length >= cancelAfterStep,
  });
  const steps = events.filter((e): e is StepEvent => e.type === 'step');
  return { result, events, steps, tensorsAtStep };
}

describe('training loop on the tfjs CPU backend', () => {
  it('trains, emits typed events in order and leaves no tensor behind', async () => {
    const baseline = tf.memory().numTensors;
    const { result, events, steps } = await train({});
    expect(tf.memory().numTensors).toBe(baseline);
    expect(result.memory.leakedTensors).toBe(0);
    expect(events[0]).toMatchObject({ type: 'progress', stage: 'model' });
    expect(events[1]).toMatchObject({ type: 'ready', data: { trainExamples: 161, stepsPerEpoch: 10, totalSteps: 10 } });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(steps.every((s) => Number.isFinite(s.loss) && s.accuracy >= 0 && s.accuracy <= 1 && s.stepMs > 0)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'epoch', epoch: 1 });
    expect(result.status).toBe('done');
    expect(result.timing.stepsCompleted).toBe(10);
    expect(result.timing.firstStepMs).toBe(steps[0]!.stepMs);
    expect(result.accuracy.finalValAccuracy).toBeGreaterThan(0.3);
    // The loss falls: the last steps average below the first ones.
    const mean = (xs: StepEvent[]) => xs.reduce((s, e) => s + e.loss, 0) / xs.length;
    expect(mean(steps.slice(-3))).toBeLessThan(mean(steps.slice(0, 3)));
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('is reproducible: the same seed gives the same losses, another seed different ones', async () => {
    const a = await train({ seed: 11 });
    const b = await train({ seed: 11 });
    const c = await train({ seed: 12 });
    expect(b.steps.map((s) => s.loss)).toEqual(a.steps.map((s) => s.loss));
    expect(c.steps.map((s) => s.loss)).not.toEqual(a.steps.map((s) => s.loss));
  });

  it('same seed gives the same initial weights', () => {
    const build = (seed: number) => MODEL_BUILDERS['cnn-small'].build({ height: 28, width: 28, channels: 1 }, 10, createRng(seed));
    const [m1, m2, m3] = [build(5), build(5), build(6)];
    const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    expect(weights(m2)).toEqual(weights(m1));
    expect(weights(m3)).not.toEqual(weights(m1));
    [m1, m2, m3].forEach((m) => m.dispose());
  });

  it('stops when cancelled, reports what it measured and disposes everything', async () => {
    const baseline = tf.memory().numTensors;
    const { result, steps } = await train({ subsetFraction: 0.05 }, 3);
    expect(steps).toHaveLength(3);
    expect(result.status).toBe('cancelled');
    expect(result.reason).toBe('Stopped by the user.');
    expect(result.timing.stepsCompleted).toBe(3);
    expect(result.accuracy.curve).toEqual([]);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('stops early once the validation loss has not improved for `patience` epochs, and says so', async () => {
    // A learning rate this high makes the mlp's validation loss rise after the first epoch.
    const { result } = await train({ epochs: 6, learningRate: 0.3, earlyStoppingPatience: 1 });
    const curve = result.accuracy.curve;
    const stoppedAt = result.accuracy.stoppedEarlyAtEpoch;
    expect(stoppedAt).not.toBeNull();
    expect(curve.length).toBe(stoppedAt);
    expect(curve.length).toBeLessThan(6);
    // The epoch that triggered it is no better than the best one before it.
    const best = Math.min(...curve.slice(0, -1).map((r) => r.valLoss));
    expect(curve.at(-1)!.valLoss).toBeGreaterThanOrEqual(best);
    expect(result.status).toBe('done');
    expect(result.reason).toMatch(/^Stopped early at step \d+ \(epoch \d+\): no lower validation loss for 1 validation/);
  });

  it('validates every N steps and at every epoch end; the curve, time to target and timing follow those validations', async () => {
    const { result, events } = await train({ epochs: 2, validationUnit: 'steps', validationInterval: 3, targetAccuracy: 0.05 });
    const perEpoch = result.data.stepsPerEpoch;
    const total = perEpoch * 2;
    const expected = Array.from({ length: total }, (_, i) => i + 1).filter((step) => step % 3 === 0 || step % perEpoch === 0);
    const curve = result.accuracy.curve;
    expect(curve.map((r) => r.step)).toEqual(expected);
    expect(curve.map((r) => r.epoch)).toEqual(expected.map((step) => Math.ceil(step / perEpoch)));
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(expected.length);
    // Time to target is the first validation at or above it (a 5 % target: the first one).
    expect(result.timing.timeToTargetMs).toBe(curve[0]!.elapsedMs);
    expect(result.timing.validations).toBe(expected.length);
    expect(result.timing.validationMs).toBeGreaterThan(0);
    expect(result.timing.trainingMs! + result.timing.validationMs!).toBeCloseTo(result.timing.totalMs, 6);
    expect(result.timing.epochMs).toHaveLength(2);
  });

  it('reports the cost of one BatchNorm recalibration from the fixed sample (resnet-mini, CPU; reported, not asserted)', () => {
    const model = MODEL_BUILDERS['resnet-mini'].build({ height: 28, width: 28, channels: 1 }, 10, createRng(1));
    const source = cpuUploadSource(dataset);
    const sample = Int32Array.from({ length: BATCH_NORM_RECALIBRATION_IMAGES }, (_, i) => i);
    const start = performance.now();
    const images = recalibrateBatchNorm(model, source, sample, 32);
    const ms = performance.now() - start;
    console.log(`BatchNorm recalibration, resnet-mini, ${images} images at micro-batch 32, CPU backend: ${ms.toFixed(0)} ms per validation`);
    expect(images).toBe(BATCH_NORM_RECALIBRATION_IMAGES);
    source.dispose();
    model.dispose();
  });

  it('measures inference latency per example after a finished run, outside the training wall time', async () => {
    const { result } = await train({});
    expect(result.inference.batch).toBe(result.data.validationExamples);
    expect(result.inference.msPerExample).toBeGreaterThan(0);
    // One inference pass over the validation batch is far cheaper than the training loop that includes a validation pass.
    expect(result.inference.msPerExample! * result.inference.batch).toBeLessThan(result.timing.totalMs);
  });

  it('hands over the trained model in tfjs format, and tfjs loads it back with every weight', async () => {
    let saved: TrainedModel | null = null;
    const config: RunConfig = { ...defaultRunConfig(), ...TINY };
    const result = await runTraining(config, dataset, environment, {
      emit: () => {}, isCancelled: () => false, onTrainedModel: (model) => { saved = model; },
    });
    expect(result.status).toBe('done');
    const model = saved! as TrainedModel;
    expect(model.weightData.byteLength).toBe(result.model.params * 4);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: model.modelTopology, weightSpecs: model.weightSpecs as tf.io.WeightsManifestEntry[], weightData: model.weightData,
    }));
    expect(loaded.countParams()).toBe(result.model.params);
    loaded.dispose();
  });

  it('fails with a clear reason when the subset is smaller than one batch', async () => {
    const { result } = await train({ subsetFraction: 0.001, batchSize: 64 });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/fewer than one batch of 64: raise the subset fraction or lower the batch size/);
  });
});

describe('gradient accumulation', () => {
  const indices = Int32Array.from({ length: 32 }, (_, i) => i * 7);

  it('gives Adam an epsilon that half floats hold as a normal number under fp16-storage (tfjs picks 1e-7, a subnormal at best)', () => {
    const model = MODEL_BUILDERS.mlp.build({ height: 28, width: 28, channels: 1 }, 10, createRng(1));
    const epsilonOf = (precision: RunConfig['precision']) =>
      createStepContext({ ...defaultRunConfig(), precision }, model, cpuUploadSource(dataset)).optimizer.getConfig().epsilon as number;
    const smallestNormalHalf = 2 ** -14;
    expect(epsilonOf('fp16-storage')).toBe(HALF_FLOAT_ADAM_EPSILON);
    expect(roundToFloat16(HALF_FLOAT_ADAM_EPSILON)).toBeGreaterThanOrEqual(smallestNormalHalf);
    // fp32 keeps the backend's own choice (1e-7 on the CPU backend), below what half floats hold as a normal number.
    expect(epsilonOf('fp32')).toBe(tf.backend().epsilon());
    expect(epsilonOf('fp32')).toBeLessThan(smallestNormalHalf);
    model.dispose();
  });

  it.each(['mlp', 'cnn-small'] as const)('K=4 micro-batches give the full-batch gradient for %s (no BatchNorm)', (name) => {
    const model = MODEL_BUILDERS[name].build({ height: 28, width: 28, channels: 1 }, 10, createRng(1));
    const ctx = createStepContext({ ...defaultRunConfig(), model: name }, model, cpuUploadSource(dataset));
    const full = accumulatedGradients(ctx, indices);
    const accumulated = accumulatedGradients({ ...ctx, accumulationSteps: 4 }, indices);
    for (const name of Object.keys(full.grads)) {
      const a = full.grads[name]!.dataSync();
      const b = accumulated.grads[name]!.dataSync();
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < a.length; i++) {
        diff += (a[i]! - b[i]!) ** 2;
        norm += a[i]! ** 2;
      }
      expect(Math.sqrt(diff / Math.max(norm, 1e-30))).toBeLessThanOrEqual(1e-5);
    }
    expect(Array.from(accumulated.metrics.dataSync())[0]).toBeCloseTo(Array.from(full.metrics.dataSync())[0]!, 5);
    tf.dispose([full.grads, full.metrics, accumulated.grads, accumulated.metrics]);
    ctx.optimizer.dispose();
    model.dispose();
  });

  it('the number of live tensors does not grow across accumulated steps', async () => {
    const { result, tensorsAtStep } = await train({ batchSize: 16, accumulationSteps: 4 });
    expect(result.status).toBe('done');
    expect(tensorsAtStep.length).toBe(10);
    expect(new Set(tensorsAtStep.slice(1)).size).toBe(1);
  });
});

describe('resource toggles', () => {
  it('gpu-resident and cpu-upload pipelines feed identical batches (same losses) and report data time', async () => {
    const resident = await train({ dataPipeline: 'gpu-resident', seed: 3 });
    const upload = await train({ dataPipeline: 'cpu-upload', seed: 3 });
    expect(resident.steps.map((s) => s.loss)).toEqual(upload.steps.map((s) => s.loss));
    expect(upload.steps.every((s) => s.dataMs > 0)).toBe(true);
    expect(upload.result.timing.medianDataMs).toBeGreaterThan(0);
  });

  it('mixed-fp16 uses dynamic loss scaling and ends within 1 percentage point of fp32', async () => {
    const settings: Partial<RunConfig> = { subsetFraction: 0.3, batchSize: 32, seed: 4 };
    const fp32 = await train({ ...settings, precision: 'fp32' });
    const mixed = await train({ ...settings, precision: 'mixed-fp16' });
    expect(mixed.result.status).toBe('done');
    expect(mixed.result.precision.lossScale).toEqual({ finalScale: 2 ** 15, skippedSteps: 0, totalSteps: 75 });
    expect(fp32.result.precision.lossScale).toBeNull();
    // fp16 rounding changes the numerics a little, not the outcome.
    expect(mixed.steps.map((s) => s.loss)).not.toEqual(fp32.steps.map((s) => s.loss));
    const gap = Math.abs(mixed.result.accuracy.finalValAccuracy! - fp32.result.accuracy.finalValAccuracy!);
    console.log(`[measure] fp32 ${fp32.result.accuracy.finalValAccuracy} vs mixed-fp16 ${mixed.result.accuracy.finalValAccuracy} (CPU, mlp)`);
    expect(gap).toBeLessThanOrEqual(0.01);
  });

  it('on the CPU backend the true GPU peak is missing with a reason; the logical peak and estimate are there', async () => {
    const { result } = await train({});
    expect(result.memory.truePeakBytes).toBeNull();
    expect(result.memory.truePeakNote).toMatch(/cpu/i);
    // mlp: 101,770 weights × 4 bytes × 3 (weights + Adam moments) are alive before the first step even starts.
    expect(result.memory.logicalPeakBytes).toBeGreaterThan(101_770 * 4 * 3);
    expect(result.memory.estimatedBytes).toBe(result.memory.estimate!.totalBytes);
    expect(result.memory.topKernels.length).toBeGreaterThan(0);
    expect(result.memory.topKernels[0]!.totalMs).toBeGreaterThanOrEqual(result.memory.topKernels.at(-1)!.totalMs);
  });

  it('adjusts BatchNorm momentum to m^(1/K) under accumulation and reports it', async () => {
    const { adjustBatchNormMomentum } = await import('../../src/core/train/batch-norm-statistics');
    const model = MODEL_BUILDERS['mobilenet-v2-tiny'].build({ height: 28, width: 28, channels: 1 }, 10, createRng(1));
    expect(adjustBatchNormMomentum(model, 4)).toBeCloseTo(0.9 ** 0.25, 12);
    model.dispose();
    const mlp = MODEL_BUILDERS.mlp.build({ height: 28, width: 28, channels: 1 }, 10, createRng(1));
    expect(adjustBatchNormMomentum(mlp, 4)).toBeNull();
    mlp.dispose();
  });
});
