import * as tf from '@tensorflow/tfjs';
import { microBatchSize, type RunConfig } from '../config';
import type { ImageDataset } from '../data/dataset';
import { epochBatches, evalBatches, splitDataset, stratifiedSubset } from '../data/splits';
import type { Environment } from '../environment';
import type { TrainedModel, TrainerEvent } from '../events';
import { memoryLevel } from '../measure/budget';
import { measureLogicalPeak } from '../measure/logical-peak';
import { createMemoryInstrument } from '../measure/memory-instrument';
import type { MemoryInstrument } from '../measure/memory-snapshot';
import { quantile, summarizeStepTimes } from '../measure/stats';
import { MODEL_BUILDERS, analyzeModel } from '../models';
import { BATCH_NORM_RECALIBRATION_IMAGES } from '../models/catalog';
import { buildStoredActivationNetwork, estimateWithKeptActivations } from './stored-activations/network';
import type { EpochRecord, RunMemory, RunResult, RunStatus } from '../result';
import { createRng, type Rng } from '../rng';
import { createBatchSource, type BatchSource } from './batches';
import { watchGpuFaults } from './gpu-faults';
import { DynamicLossScaler, allFinite, roundToFloat16Tensor, unscaleGradients } from './precision';
import { roundLayerOutputsToFloat16 } from './precision-policy';
import { adjustBatchNormMomentum, recalibrateBatchNorm } from './batch-norm-statistics';

export interface TrainerHooks {
  emit(event: TrainerEvent): void;
  /** Polled between steps and between validation batches. */
  isCancelled(): boolean;
  /** Milliseconds since the run request arrived, for the "time to first step" figure. */
  sinceStartMs?(): number;
  /** Receives the trained model in tfjs's save format when the run finished (before the model is disposed). */
  onTrainedModel?(model: TrainedModel): void;
}

const EVAL_BATCH = 256;
/** How long work queued on a lost device may take to fail by itself before the run stops waiting for it. */
const LOST_DEVICE_GRACE_MS = 2000;
const GIB = 2 ** 30;

/** Everything one optimizer step needs. */
interface StepContext {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  variables: tf.Variable[];
  source: BatchSource;
  accumulationSteps: number;
  /** Present in the half-precision modes. */
  scaler: DynamicLossScaler | null;
  /** mixed-fp16: weight gradients are rounded to half precision as well. */
  roundGradients: boolean;
  /** The training-mode forward whose gradients are taken: model.apply, or fp16-activations' packed network. */
  trainingForward: (x: tf.Tensor) => tf.Tensor;
}

export interface AccumulatedStep {
  /** Mean gradient over the whole batch, per variable name (multiplied by the loss scale when one is used). */
  grads: tf.NamedTensorMap;
  /** [mean loss, mean training accuracy] over the whole batch, still on the device; the loss is unscaled. */
  metrics: tf.Tensor1D;
  /** CPU wall time spent preparing input batches (conversion, upload calls, gather dispatch). */
  dataMs: number;
}

function mapGrads(grads: tf.NamedTensorMap, f: (name: string, g: tf.Tensor) => tf.Tensor): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const name of Object.keys(grads)) out[name] = f(name, grads[name]!);
  return out;
}

/**
 * Gradients of the mean loss over `indices`, computed as K micro-batches of indices.length / K examples:
 * each micro-batch's gradients are added to a running sum, which is divided by K at the end. Only one
 * micro-batch's activations are alive at a time; the sum costs one gradient-sized buffer.
 */
export function accumulatedGradients(ctx: StepContext, indices: Int32Array): AccumulatedStep {
  const { optimizer, variables, source, accumulationSteps: k, scaler } = ctx;
  const micro = indices.length / k;
  const lossScale = scaler?.scale ?? 1;
  let summed: tf.NamedTensorMap | null = null;
  let lossSum: tf.Scalar = tf.scalar(0);
  let accuracySum: tf.Scalar = tf.scalar(0);
  let dataMs = 0;
  for (let i = 0; i < k; i++) {
    const dataStart = performance.now();
    const { x, y } = source.batch(indices.subarray(i * micro, (i + 1) * micro));
    dataMs += performance.now() - dataStart;
    let accuracy: tf.Scalar | null = null;
    let loss: tf.Scalar | null = null;
    const { value, grads } = optimizer.computeGradients(() => {
      const logits = ctx.trainingForward(x);
      accuracy = tf.keep(tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)).toFloat().mean() as tf.Scalar);
      loss = tf.keep(tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar);
      return lossScale === 1 ? loss : tf.mul(loss, lossScale);
    }, variables);
    // Without a loss scale `value` is `loss` itself, which is still needed below.
    tf.dispose(value === loss ? [x, y] : [x, y, value]);
    const previous: tf.NamedTensorMap | null = summed;
    summed = previous ? tf.tidy(() => mapGrads(grads, (name, g) => tf.add(previous[name]!, g))) : grads;
    if (previous) tf.dispose([previous, grads]);
    const [oldLoss, oldAccuracy] = [lossSum, accuracySum];
    lossSum = tf.add(oldLoss, loss!);
    accuracySum = tf.add(oldAccuracy, accuracy!);
    tf.dispose([oldLoss, oldAccuracy, loss!, accuracy!]);
  }
  const total = summed!;
  const grads = tf.tidy(() => mapGrads(total, (_, g) => {
    const mean = k === 1 ? g.clone() : tf.div(g, k);
    return ctx.roundGradients ? roundToFloat16Tensor(mean) : mean;
  }));
  const metrics = tf.tidy(() => tf.div(tf.stack([lossSum, accuracySum]), k) as tf.Tensor1D);
  tf.dispose([total, lossSum, accuracySum]);
  return { grads, metrics, dataMs };
}

interface StepOutcome {
  loss: number;
  accuracy: number;
  dataMs: number;
  /** The loss scaler found inf/NaN gradients and skipped the update. */
  skipped: boolean;
}

/**
 * One optimizer step. It is finished only once its loss has been read back from the device.
 * With a loss scaler the gradients are checked for inf/NaN on the device first; a bad step is skipped.
 */
async function optimizerStep(ctx: StepContext, indices: Int32Array): Promise<StepOutcome> {
  const { grads, metrics, dataMs } = accumulatedGradients(ctx, indices);
  // try/finally: a read-back that fails (lost device) must not leave this step's tensors behind.
  try {
    if (!ctx.scaler) {
      ctx.optimizer.applyGradients(grads);
      const [loss, accuracy] = await metrics.data();
      return { loss: loss!, accuracy: accuracy!, dataMs, skipped: false };
    }
    const readout = tf.tidy(() => tf.concat([metrics, allFinite(grads).toFloat().reshape([1])]));
    const values = await readout.data().finally(() => readout.dispose());
    const [loss, accuracy, finite] = values;
    const { skipped } = ctx.scaler.update(finite !== 1);
    if (!skipped) {
      const unscaled = unscaleGradients(grads, ctx.scaler.scale);
      ctx.optimizer.applyGradients(unscaled);
      tf.dispose(unscaled);
    }
    return { loss: loss!, accuracy: accuracy!, dataMs, skipped };
  } finally {
    tf.dispose([grads, metrics]);
  }
}

/** [summed loss, correct predictions] of one evaluation batch, on the device. */
function evalBatchSums(model: tf.LayersModel, source: BatchSource, batch: Int32Array): tf.Tensor1D {
  const { x, y } = source.batch(batch);
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
  model: tf.LayersModel, source: BatchSource, indices: Int32Array, isCancelled: () => boolean,
): Promise<{ loss: number; accuracy: number } | null> {
  let lossSum = 0;
  let correct = 0;
  for (const batch of evalBatches(indices, EVAL_BATCH)) {
    if (isCancelled()) return null;
    const sums = evalBatchSums(model, source, batch);
    const [loss, hits] = await sums.data();
    sums.dispose();
    lossSum += loss!;
    correct += hits!;
  }
  return { loss: lossSum / indices.length, accuracy: correct / indices.length };
}

const INFERENCE_REPEATS = 3;

/**
 * Inference latency for the deployment criterion: median wall time of a forward pass (inference mode) over one
 * evaluation batch, read back each time, after one warm-up pass that compiles the shaders; per example.
 */
async function measureInference(model: tf.LayersModel, source: BatchSource, indices: Int32Array): Promise<RunResult['inference']> {
  const batch = indices.subarray(0, Math.min(EVAL_BATCH, indices.length));
  if (batch.length === 0) return { msPerExample: null, batch: 0 };
  const { x, y } = source.batch(batch);
  y.dispose();
  const times: number[] = [];
  try {
    for (let i = 0; i <= INFERENCE_REPEATS; i++) {
      const start = performance.now();
      const logits = model.apply(x, { training: false }) as tf.Tensor;
      await logits.data();
      logits.dispose();
      if (i > 0) times.push(performance.now() - start);
    }
  } finally {
    tf.dispose(x);
  }
  return { msPerExample: quantile(times, 0.5) / batch.length, batch: batch.length };
}

/** The model as tfjs's save format holds it: the topology, the weight specs and one buffer of weights. */
async function savedModel(model: tf.LayersModel): Promise<TrainedModel> {
  let saved: TrainedModel | null = null;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData;
    saved = {
      modelTopology: artifacts.modelTopology as object,
      weightSpecs: (artifacts.weightSpecs ?? []) as TrainedModel['weightSpecs'],
      // tfjs may hand the weights over as several buffers; one is what model.weights.bin holds.
      weightData: Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData ?? new ArrayBuffer(0),
    };
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  return saved!;
}

/** The model with the run's precision policy and BatchNorm momentum applied. */
function buildModel(config: RunConfig, dataset: ImageDataset, rng: Rng): { model: tf.LayersModel; batchNormMomentum: number | null } {
  const input = { height: dataset.height, width: dataset.width, channels: dataset.channels };
  const model = MODEL_BUILDERS[config.model].build(input, dataset.classNames.length, rng);
  if (config.precision === 'mixed-fp16') roundLayerOutputsToFloat16(model);
  return { model, batchNormMomentum: adjustBatchNormMomentum(model, config.accumulationSteps) };
}

/**
 * Adam's epsilon under fp16-storage. tfjs picks 1e-7 whenever the GPU can render to float32, even with half-float
 * textures forced, and 1e-7 is below binary16's smallest normal (2^-14 ≈ 6.1e-5): at best a subnormal, zero where the
 * GPU flushes subnormals. Once a second moment underflows (g² < 2^-14, i.e. |g| < 0.008, common at large batches)
 * the step lr · m / (√v + ε) is ~10⁷ × lr × the gradient, or a division by zero, and the weights overflow to inf/NaN
 * (cnn-small b256 on WebGL: NaN at step 2). 1e-4 is what tfjs itself uses when it knows its textures are half floats.
 */
export const HALF_FLOAT_ADAM_EPSILON = 1e-4;

export function createStepContext(config: RunConfig, model: tf.LayersModel, source: BatchSource): StepContext {
  // fp16-activations: the same model and variables, trained through its own backward pass with packed activations.
  const network = config.precision === 'fp16-activations' ? buildStoredActivationNetwork(model) : null;
  return {
    model,
    optimizer: tf.train.adam(config.learningRate, 0.9, 0.999, config.precision === 'fp16-storage' ? HALF_FLOAT_ADAM_EPSILON : undefined),
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    source,
    accumulationSteps: config.accumulationSteps,
    scaler: config.precision === 'fp32' ? null : new DynamicLossScaler(),
    roundGradients: config.precision === 'mixed-fp16',
    trainingForward: network ? (x) => network.apply(x) : (x) => model.apply(x, { training: true }) as tf.Tensor,
  };
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
  config: RunConfig, dataset: ImageDataset, source: BatchSource, trainBatch: Int32Array, evalBatch: Int32Array,
): Promise<number | null> {
  const backend = tf.backend() as Partial<ParallelCompileBackend>;
  if (tf.getBackend() !== 'webgpu' || typeof backend.checkCompileCompletionAsync !== 'function') return null;
  const start = performance.now();
  const { model } = buildModel(config, dataset, createRng(0));
  const ctx = { ...createStepContext(config, model, source), scaler: null };
  tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
  try {
    const { grads, metrics } = accumulatedGradients(ctx, trainBatch);
    ctx.optimizer.applyGradients(grads);
    tf.dispose([grads, metrics, evalBatchSums(model, source, evalBatch)]);
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
  }
  await backend.checkCompileCompletionAsync();
  ctx.optimizer.dispose();
  model.dispose();
  return performance.now() - start;
}

/** Out-of-memory failures as the backends word them. */
function isOutOfMemory(message: string): boolean {
  return /out of memory|\boom\b|failed to allocate|allocation fail|createBuffer|exceeds the max/i.test(message);
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
  const micro = microBatchSize(config);
  const budgetBytes = config.memoryBudgetGiB * GIB;

  const tensorsAtStart = tf.memory().numTensors;
  hooks.emit({ type: 'progress', stage: 'model', message: `Building ${config.model}`, fraction: null });
  const { model, batchNormMomentum } = buildModel(config, dataset, rng);
  let estimate: RunMemory['estimate'] = null;
  try {
    estimate = analyzeModel(model, micro).memory;
    if (config.precision === 'fp16-activations') estimate = estimateWithKeptActivations(estimate, model);
  } catch {
    // A layer the analyser has no rule for: the estimate is reported as missing, not guessed.
  }
  const modelInfo = { name: config.model, params: model.countParams(), batchNormMomentum };
  const data = { trainExamples: trainIndices.length, validationExamples: validationIndices.length, stepsPerEpoch, microBatchSize: micro };

  const stepMs: number[] = [];
  const dataMs: number[] = [];
  const epochMs: number[] = [];
  const curve: EpochRecord[] = [];
  let status: RunStatus = 'done';
  let reason: string | null = null;
  let timeToTargetMs: number | null = null;
  let compileMs: number | null = null;
  let logical: Awaited<ReturnType<typeof measureLogicalPeak>>['logical'] | null = null;
  let source: BatchSource | null = null;
  let ctx: StepContext | null = null;
  let memory: MemoryInstrument | null = null;
  const faults = watchGpuFaults();
  // Work queued on a lost device may never complete: every wait on the device ends once the device is lost.
  // Queued work usually fails soon after the loss (its read-backs are aborted) and then cleans up after itself; the
  // grace period lets it, so only work that truly hangs is abandoned with its tensors.
  const lostError = faults?.lost.then((message) => new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(message)), LOST_DEVICE_GRACE_MS);
  }));
  lostError?.catch(() => {}); // it is only ever raced, never awaited alone
  const untilDeviceLost = <T>(work: Promise<T>): Promise<T> => {
    if (!lostError) return work;
    work.catch(() => {}); // the abandoned side of the race may still fail later
    return Promise.race([work, lostError]);
  };
  let warned = false;
  let bestValLoss = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  let stoppedEarlyAt: number | null = null;
  let inference: RunResult['inference'] = { msPerExample: null, batch: 0 };
  let trainEnd: number | null = null;
  const trainStart = now();
  try {
    if (stepsPerEpoch === 0) {
      throw new Error(`The training subset has ${trainIndices.length} examples, fewer than one batch of ${config.batchSize}: ` +
        'raise the subset fraction or lower the batch size.');
    }
    source = createBatchSource(config.dataPipeline, dataset, Int32Array.from(new Set([...trainIndices, ...validationIndices])));
    ctx = createStepContext(config, model, source);
    hooks.emit({ type: 'ready', environment, model: modelInfo, data: { ...data, totalSteps }, memoryEstimate: estimate });
    hooks.emit({ type: 'progress', stage: 'compile', message: 'Compiling GPU shaders', fraction: null });
    compileMs = await precompileShaders(config, dataset, source, trainIndices.subarray(0, config.batchSize),
      validationIndices.subarray(0, EVAL_BATCH));
    // The peak counts from here: weights, optimizer state and resident data, not the throwaway compile pass.
    memory = createMemoryInstrument();
    memory.start();

    let step = 0;
    epochs: for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const epochStart = now();
      const batches = epochBatches(trainIndices, config.batchSize, rng);
      for (const batch of batches) {
        if (hooks.isCancelled()) break epochs;
        const t0 = now();
        let outcome: StepOutcome;
        if (step === 0) {
          // The first step is profiled: logical peak and per-kernel times (profiling slows this step only).
          const profiled = await untilDeviceLost(measureLogicalPeak(async () => {
            outcome = await optimizerStep(ctx!, batch);
            return [];
          }));
          logical = profiled.logical;
        } else {
          outcome = await untilDeviceLost(optimizerStep(ctx, batch));
        }
        const ms = now() - t0;
        const { loss, accuracy, skipped } = outcome!;
        stepMs.push(ms);
        dataMs.push(outcome!.dataMs);
        step++;
        hooks.emit({
          type: 'step', epoch, step, totalSteps, loss, accuracy, stepMs: ms, dataMs: outcome!.dataMs, skipped,
          lossScale: ctx.scaler?.scale ?? null, sinceStartMs: hooks.sinceStartMs?.() ?? now() - trainStart,
        });
        const sample = memory.sample(step);
        if (sample) {
          const level = memoryLevel(sample.peakBytes, budgetBytes);
          hooks.emit({ type: 'memory', step, bytesInUse: sample.bytesInUse, peakBytes: sample.peakBytes, budgetBytes, level });
          if (level === 'over-budget') {
            status = 'over-budget';
            reason = `GPU memory peaked at ${(sample.peakBytes / 2 ** 20).toFixed(1)} MiB, over the budget of ${config.memoryBudgetGiB} GiB: stopped.`;
            break epochs;
          }
          warned ||= level === 'warning';
        }
        const fault = faults?.fault();
        if (fault) throw new Error(fault);
        if (!Number.isFinite(loss)) throw new Error(`The loss became ${loss} at step ${step}: training diverged; lower the learning rate.`);
      }
      // The epoch's first shuffled batches: a sample of every class for the BatchNorm statistics.
      const recalibrationBatches = batches.slice(0, Math.ceil(BATCH_NORM_RECALIBRATION_IMAGES / config.batchSize));
      const recalibrationImages = Int32Array.from(recalibrationBatches.flatMap((b) => Array.from(b)));
      recalibrateBatchNorm(model, source, recalibrationImages, micro);
      const validation = await untilDeviceLost(evaluate(model, source, validationIndices, hooks.isCancelled));
      if (!validation) break;
      epochMs.push(now() - epochStart);
      const record: EpochRecord = { epoch, valLoss: validation.loss, valAccuracy: validation.accuracy, elapsedMs: now() - trainStart };
      curve.push(record);
      if (timeToTargetMs === null && record.valAccuracy >= config.targetAccuracy) timeToTargetMs = record.elapsedMs;
      hooks.emit({ type: 'epoch', ...record });
      if (record.valLoss < bestValLoss) {
        bestValLoss = record.valLoss;
        bestEpoch = epoch;
      } else if (config.earlyStoppingPatience > 0 && epoch - bestEpoch >= config.earlyStoppingPatience && epoch < config.epochs) {
        stoppedEarlyAt = epoch;
        reason = `Stopped early after epoch ${epoch}: no lower validation loss for ${config.earlyStoppingPatience} epoch(s) `
          + `(best at epoch ${bestEpoch}).`;
        break;
      }
    }
    if (status === 'done' && hooks.isCancelled()) {
      status = 'cancelled';
      reason = 'Stopped by the user.';
    }
    trainEnd = now();
    // After the clock stops: wall time is training and validation only.
    if (status === 'done') inference = await untilDeviceLost(measureInference(model, source, validationIndices));
    if (status === 'done' && hooks.onTrainedModel) hooks.onTrainedModel(await savedModel(model));
  } catch (error) {
    // A lost device makes later calls fail with unhelpful messages; the fault says what really happened.
    const message = faults?.fault() ?? ((error as Error).message || String(error));
    status = isOutOfMemory(message) ? 'oom' : 'failed';
    reason = status === 'oom' ? `Out of GPU memory: ${message}` : message;
  } finally {
    faults?.dispose();
    memory?.stop();
    ctx?.optimizer.dispose();
    source?.dispose();
    model.dispose();
  }

  const snapshot = memory?.snapshot() ?? null;
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
      medianDataMs: dataMs.length ? quantile(dataMs, 0.5) : null,
      epochMs,
      totalMs: (trainEnd ?? now()) - trainStart,
      timeToTargetMs,
    },
    memory: {
      truePeakBytes: snapshot?.truePeakBytes ?? null,
      truePeakSource: snapshot ? `${snapshot.source}${snapshot.exact ? '' : ' (sampled)'}` : null,
      truePeakNote: snapshot?.reason ?? (snapshot ? null : 'not measured: the run stopped before training'),
      logicalPeakBytes: logical?.peakBytes ?? null,
      estimatedBytes: estimate?.totalBytes ?? null,
      estimate,
      allocatedBytes: snapshot?.peakAllocatedBytes ?? null,
      budgetBytes,
      budgetWarning: warned || status === 'over-budget',
      timeline: memory?.timeline().map((s) => ({ step: s.step, bytesInUse: s.bytesInUse, peakBytes: s.peakBytes })) ?? [],
      topKernels: logical?.topKernels ?? [],
      leakedTensors: tf.memory().numTensors - tensorsAtStart,
    },
    inference,
    precision: {
      mode: config.precision,
      lossScale: ctx?.scaler ? ctx.scaler.toJSON() : null,
    },
    accuracy: {
      finalValAccuracy: last?.valAccuracy ?? null,
      finalValLoss: last?.valLoss ?? null,
      bestValAccuracy: curve.length ? Math.max(...curve.map((r) => r.valAccuracy)) : null,
      reachedTarget: timeToTargetMs !== null,
      curve,
      stoppedEarlyAtEpoch: stoppedEarlyAt,
    },
  };
}
