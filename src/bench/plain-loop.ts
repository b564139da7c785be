/**
 * The baseline our trainer is measured against: the loop a tfjs tutorial would write. Every step converts its batch
 * from the uint8 images on the CPU, uploads it, calls optimizer.minimize on the softmax cross-entropy and reads the
 * loss back. No accumulation, no precision policy, no data residency, no accuracy metric, no profiling.
 *
 * It draws its training subset, initial weights and batch order from the run seed in the same order as the trainer
 * (src/core/train/trainer.ts), so with the same config both see the same batches from the same weights, and the
 * losses can be compared as well as the times.
 */
import * as tf from '../core/tf';
import type { RunConfig } from '../core/config';
import type { ImageDataset } from '../core/data/dataset';
import { epochBatches, splitDataset, stratifiedSubset } from '../core/data/splits';
import type { Environment } from '../core/environment';
import { summarizeStepTimes } from '../core/measure/stats';
import { MODEL_BUILDERS } from '../core/models';
import { createRng } from '../core/rng';
import type { PlainLoopResult } from './types';

function batchTensors(dataset: ImageDataset, indices: Int32Array): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const pixels = dataset.height * dataset.width * dataset.channels;
  const floats = new Float32Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  for (let row = 0; row < indices.length; row++) {
    const index = indices[row]!;
    for (let p = 0; p < pixels; p++) floats[row * pixels + p] = dataset.images[index * pixels + p]! / 255;
    labels[row] = dataset.labels[index]!;
  }
  const x = tf.tensor4d(floats, [indices.length, dataset.height, dataset.width, dataset.channels]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), dataset.classNames.length, 1, 0, 'float32') as tf.Tensor2D);
  return { x, y };
}

export async function runPlainLoop(
  config: RunConfig, dataset: ImageDataset, environment: Environment,
  onStep: (step: number, totalSteps: number, stepMs: number, loss: number) => void,
): Promise<PlainLoopResult> {
  const rng = createRng(config.seed);
  const splits = splitDataset(dataset.labels);
  const trainIndices = stratifiedSubset(splits.train, dataset.labels, config.subsetFraction, rng);
  stratifiedSubset(splits.validation, dataset.labels, config.subsetFraction, rng); // keeps the RNG in step with the trainer
  const input = { height: dataset.height, width: dataset.width, channels: dataset.channels };
  const model = MODEL_BUILDERS[config.model].build(input, dataset.classNames.length, rng);
  const optimizer = tf.train.adam(config.learningRate);
  const stepMs: number[] = [];
  let lastLoss: number | null = null;
  try {
    const totalSteps = Math.floor(trainIndices.length / config.batchSize) * config.epochs;
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      for (const batch of epochBatches(trainIndices, config.batchSize, rng)) {
        const t0 = performance.now();
        const { x, y } = batchTensors(dataset, batch);
        const loss = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true,
        )!;
        lastLoss = (await loss.data())[0]!;
        tf.dispose([x, y, loss]);
        const ms = performance.now() - t0;
        stepMs.push(ms);
        onStep(stepMs.length, totalSteps, ms, lastLoss);
      }
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  const summary = summarizeStepTimes(stepMs);
  return {
    config,
    environment,
    stepsCompleted: stepMs.length,
    firstStepMs: summary.firstStepMs,
    medianStepMs: summary.medianStepMs,
    p10StepMs: summary.p10StepMs,
    p90StepMs: summary.p90StepMs,
    samplesPerSec: summary.medianStepMs ? config.batchSize / (summary.medianStepMs / 1000) : null,
    lastLoss,
    stepMs,
  };
}
