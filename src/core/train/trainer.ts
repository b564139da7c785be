import * as tf from '@tensorflow/tfjs';
import { microBatchSize, type RunConfig } from '../config';
import type { ImageDataset } from '../data/dataset';
import { epochBatches, evalBatches, splitDataset, stratifiedSubset } from '../data/splits';
import type { Environment } from '../environment';
import type { TrainerEvent } from '../events';
import { summarizeStepTimes } from '../measure/stats';
import { MODEL_BUILDERS } from '../models';
import type { EpochRecord, RunResult, RunStatus } from '../result';
import { createRng } from '../rng';
import { makeBatch } from './batches';

export interface TrainerHooks {
  emit(event: TrainerEvent): void;
  /** Polled between steps and between validation batches. */
  isCancelled(): boolean;
  /** Milliseconds since the run request arrived, for the "time to first step" figure. */
  sinceStartMs?(): number;
}

const EVAL_BATCH = 256;

function softmaxLoss(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}

function batchAccuracy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.equal(tf.argMax(logits, -1), tf.argMax(labels, -1)).toFloat().mean() as tf.Scalar);
}

export interface AccumulatedStep {
  /** Mean gradient over the whole batch, per variable name. */
  grads: tf.NamedTensorMap;
  /** [mean loss, mean training accuracy] over the whole batch, still on the device. */
  metrics: tf.Tensor1D;
}

/**
 * Gradients of the mean loss over `indices`, computed as K micro-batches of indices.length / K examples:
 * each micro-batch's gradients are added to a running sum, which is divided by K at the end. Only one
 * micro-batch's activations are alive at a time; the sum costs one gradient-sized buffer.
 */
export function accumulatedGradients(
  model: tf.LayersModel, optimizer: tf.Optimizer, variables: tf.Variable[],
  dataset: ImageDataset, indices: Int32Array, accumulationSteps: number,
): AccumulatedStep {
  const micro = indices.length / accumulationSteps;
  let summed: tf.NamedTensorMap | null = null;
  let lossSum: tf.Scalar = tf.scalar(0);
  let accuracySum: tf.Scalar = tf.scalar(0);
  for (let k = 0; k < accumulationSteps; k++) {
    const { x, y } = makeBatch(dataset, indices.subarray(k * micro, (k + 1) * micro));
    let accuracy: tf.Scalar | null = null;
    const { value, grads } = optimizer.computeGradients(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      accuracy = tf.keep(batchAccuracy(y, logits));
      return softmaxLoss(y, logits);
    }, variables);
    x.dispose();
    y.dispose();
    const previous: tf.NamedTensorMap | null = summed;
    summed = previous ? tf.tidy(() => mapGrads(grads, (name, g) => tf.add(previous[name]!, g))) : grads;
    if (previous) {
      tf.dispose(previous);
      tf.dispose(grads);
    }
    const [oldLoss, oldAccuracy] = [lossSum, accuracySum];
    lossSum = tf.add(oldLoss, value);
    accuracySum = tf.add(oldAccuracy, accuracy!);
    tf.dispose([oldLoss, oldAccuracy, value, accuracy!]);
  }
  const total = summed!;
  const grads = accumulationSteps === 1 ? total : tf.tidy(() => mapGrads(total, (_, g) => tf.div(g, accumulationSteps)));
  if (accumulationSteps !== 1) tf.dispose(total);
  const metrics = tf.tidy(() => tf.div(tf.stack([lossSum, accuracySum]), accumulationSteps) as tf.Tensor1D);
  tf.dispose([lossSum, accuracySum]);
  return { grads, metrics };
}

/** One optimizer step: accumulated gradients applied once. Returns [loss, accuracy] on the device. */
function trainStep(
  model: tf.LayersModel, optimizer: tf.Optimizer, variables: tf.Variable[],
  dataset: ImageDataset, indices: Int32Array, accumulationSteps: number,
): tf.Tensor1D {
  const { grads, metrics } = accumulatedGradients(model, optimizer, variables, dataset, indices, accumulationSteps);
  optimizer.applyGradients(grads);
  tf.dispose(grads);
  return metrics;
}

function mapGrads(grads: tf.NamedTensorMap, f: (name: string, g: tf.Tensor) => tf.Tensor): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const name of Object.keys(grads)) out[name] = f(name, grads[name]!);
  return out;
}

interface ParallelCompileBackend {
  checkCompileCompletionAsync(): Promise<void>;
}

/**
 * WebGPU only: compiles every shader pipeline one training step and one validation batch need, in parallel
 * (createComputePipelineAsync) instead of one after another as the first step meets them. It runs a throwaway copy
 * of the model and optimizer with tfjs's compile-only flag, so nothing is computed and the real weights, optimizer
 * state and RNG are untouched. Returns the wall time spent, or null on other backends.
 */
async function precompileShaders(
  config: RunConfig, dataset: ImageDataset, trainBatch: Int32Array, evalBatch: Int32Array,
): Promise<number | null> {
  const backend = tf.backend() as Partial<ParallelCompileBackend>;
  if (tf.getBackend() !== 'webgpu' || typeof backend.checkCompileCompletionAsync !== 'function') return null;
  const start = performance.now();
  const model = buildModel(config, dataset, createRng(0));
  const optimizer = tf.train.adam(config.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
  try {
    tf.dispose(trainStep(model, optimizer, variables, dataset, trainBatch, config.accumulationSteps));
    tf.dispose(evalBatchSums(model, dataset, evalBatch));
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
  }
  await backend.checkCompileCompletionAsync();
  optimizer.dispose();
  model.dispose();
  return performance.now() - start;
}

function buildModel(config: RunConfig, dataset: ImageDataset, rng: ReturnType<typeof createRng>): tf.LayersModel {
  const input = { height: dataset.height, width: dataset.width, channels: dataset.channels };
  return MODEL_BUILDERS[config.model].build(input, dataset.classNames.length, rng);
}

/** [summed loss, correct predictions] of one evaluation batch, on the device. */
function evalBatchSums(model: tf.LayersModel, dataset: ImageDataset, batch: Int32Array): tf.Tensor1D {
  const { x, y } = makeBatch(dataset, batch);
  const sums = tf.tidy(() => {
    const logits = model.apply(x, { training: false }) as tf.Tensor;
    const loss = tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.SUM);
    const hits = tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)).toFloat().sum();
    return tf.stack([loss, hits]) as tf.Tensor1D;
  });
  tf.dispose([x, y]);
  return sums;
}

/** Mean loss and accuracy over `indices`, inference mode, in fixed-size batches. */
async function evaluate(
  model: tf.LayersModel, dataset: ImageDataset, indices: Int32Array, isCancelled: () => boolean,
): Promise<{ loss: number; accuracy: number } | null> {
  let lossSum = 0;
  let correct = 0;
  for (const batch of evalBatches(indices, EVAL_BATCH)) {
    if (isCancelled()) return null;
    const sums = evalBatchSums(model, dataset, batch);
    const [loss, hits] = await sums.data();
    sums.dispose();
    lossSum += loss!;
    correct += hits!;
  }
  return { loss: lossSum / indices.length, accuracy: correct / indices.length };
}

/**
 * Trains config.model on dataset with Adam and softmax cross-entropy, streaming events through hooks.
 * Every tensor it creates is disposed before it returns (also when cancelled or failing).
 */
export async function runTraining(
  config: RunConfig, dataset: ImageDataset, environment: Environment, hooks: TrainerHooks,
): Promise<RunResult> {
  const now = () => performance.now();
  const startedAt = new Date().toISOString();
  const rng = createRng(config.seed);
  const splits = splitDataset(dataset.labels);
  const trainIndices = stratifiedSubset(splits.train, dataset.labels, config.subsetFraction, rng);
  const validationIndices = stratifiedSubset(splits.validation, dataset.labels, config.subsetFraction, rng);
  const stepsPerEpoch = Math.floor(trainIndices.length / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;

  hooks.emit({ type: 'progress', stage: 'model', message: `Building ${config.model}`, fraction: null });
  const model = buildModel(config, dataset, rng);
  const optimizer = tf.train.adam(config.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const modelInfo = { name: config.model, params: model.countParams() };
  const data = {
    trainExamples: trainIndices.length, validationExamples: validationIndices.length,
    stepsPerEpoch, microBatchSize: microBatchSize(config),
  };
  hooks.emit({ type: 'ready', environment, model: modelInfo, data: { ...data, totalSteps } });

  const stepMs: number[] = [];
  const epochMs: number[] = [];
  const curve: EpochRecord[] = [];
  let status: RunStatus = 'done';
  let reason: string | null = null;
  let timeToTargetMs: number | null = null;
  let compileMs: number | null = null;
  const trainStart = now();
  try {
    if (stepsPerEpoch === 0) {
      throw new Error(`The training subset has ${trainIndices.length} examples, fewer than one batch of ${config.batchSize}: ` +
        'raise the subset fraction or lower the batch size.');
    }
    hooks.emit({ type: 'progress', stage: 'compile', message: 'Compiling GPU shaders', fraction: null });
    compileMs = await precompileShaders(config, dataset, trainIndices.subarray(0, config.batchSize),
      validationIndices.subarray(0, EVAL_BATCH));
    let step = 0;
    epochs: for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const epochStart = now();
      for (const batch of epochBatches(trainIndices, config.batchSize, rng)) {
        if (hooks.isCancelled()) break epochs;
        const t0 = now();
        const metrics = trainStep(model, optimizer, variables, dataset, batch, config.accumulationSteps);
        // The step is finished only once its result is back on the CPU.
        const [loss, accuracy] = await metrics.data();
        metrics.dispose();
        const ms = now() - t0;
        stepMs.push(ms);
        step++;
        hooks.emit({
          type: 'step', epoch, step, totalSteps, loss: loss!, accuracy: accuracy!, stepMs: ms,
          sinceStartMs: hooks.sinceStartMs?.() ?? now() - trainStart,
        });
        if (!Number.isFinite(loss!)) throw new Error(`The loss became ${loss} at step ${step}: training diverged; lower the learning rate.`);
      }
      const validation = await evaluate(model, dataset, validationIndices, hooks.isCancelled);
      if (!validation) break;
      epochMs.push(now() - epochStart);
      const record: EpochRecord = { epoch, valLoss: validation.loss, valAccuracy: validation.accuracy, elapsedMs: now() - trainStart };
      curve.push(record);
      if (timeToTargetMs === null && record.valAccuracy >= config.targetAccuracy) timeToTargetMs = record.elapsedMs;
      hooks.emit({ type: 'epoch', ...record });
    }
    if (hooks.isCancelled()) {
      status = 'cancelled';
      reason = 'Stopped by the user.';
    }
  } catch (error) {
    status = 'failed';
    reason = (error as Error).message || String(error);
  } finally {
    optimizer.dispose();
    model.dispose();
  }

  const steps = summarizeStepTimes(stepMs);
  const last = curve.at(-1) ?? null;
  return {
    schemaVersion: 1,
    config,
    environment,
    status,
    reason,
    startedAt,
    model: modelInfo,
    data,
    timing: {
      ...steps,
      compileMs,
      stepsCompleted: stepMs.length,
      samplesPerSec: steps.medianStepMs ? config.batchSize / (steps.medianStepMs / 1000) : null,
      epochMs,
      totalMs: now() - trainStart,
      timeToTargetMs,
    },
    accuracy: {
      finalValAccuracy: last?.valAccuracy ?? null,
      finalValLoss: last?.valLoss ?? null,
      bestValAccuracy: curve.length ? Math.max(...curve.map((r) => r.valAccuracy)) : null,
      reachedTarget: timeToTargetMs !== null,
      curve,
    },
  };
}
