/** The training loop of one run, in phases: prepare, start, per epoch the steps and the validations due, finish. */
import * as tf from '../tf';
import { activeWebGpuBackend } from '../backend-internals';
import { microBatchSize, type RunConfig } from '../config';
import type { ImageDataset } from '../data/dataset';
import { epochBatches, splitDataset, stratifiedSubset } from '../data/splits';
import type { Environment } from '../environment';
import type { MisclassifiedGallery } from '../evaluation-report';
import type { TrainedModel, TrainerEvent } from '../events';
import { memoryLevel } from '../measure/budget';
import { measureLogicalPeak } from '../measure/logical-peak';
import { createMemoryInstrument } from '../measure/memory-instrument';
import type { MemoryInstrument } from '../measure/memory-snapshot';
import { MODEL_BUILDERS, analyzeModel } from '../models';
import { BATCH_NORM_RECALIBRATION_IMAGES } from '../models/catalog';
import type { EpochRecord, RunResult } from '../result';
import { createRng, shuffleInPlace, type Rng } from '../rng';
import { adjustBatchNormMomentum, recalibrateBatchNorm } from './batch-norm-statistics';
import { createBatchSource, type BatchSource } from './batches';
import { EarlyStopping, createCadenceClock, type CadenceClock } from './cadence';
import { EVAL_BATCH, evalBatchSums, evaluate, evaluateMistakes, measureInference } from './evaluation';
import { FusedTraining, engineReport, fusedEngineRefusal, type FinishedStep } from './fused-training';
import { untilDeviceLost, watchGpuFaults, type GpuFaultWatch } from './gpu-faults';
import {
  accumulatedGradients, createStepContext, optimizerStep, setLearningRate, type StepContext, type StepOutcome,
} from './optimizer-step';
import { roundLayerOutputsToFloat16 } from './precision-policy';
import { buildRunResult, type RunMeasurements } from './run-result';
import { learningRateAt } from './schedule';
import { estimateWithKeptActivations } from './stored-activations/network';
import { validationSampleIndices } from './validation-sample';

export interface TrainerHooks {
  emit(event: TrainerEvent): void;
  /** Polled between steps and between validation batches. */
  isCancelled(): boolean;
  /** Milliseconds since the run request arrived, for the "time to first step" figure. */
  sinceStartMs?(): number;
  /** Receives the trained model in tfjs's save format when the run finished (before the model is disposed). */
  onTrainedModel?(model: TrainedModel): void;
  /** Receives the finished run's most confident mistakes on the validation images, with their pixels. */
  onMisclassified?(gallery: MisclassifiedGallery): void;
}

const GIB = 2 ** 30;
const now = () => performance.now();

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
export function buildModel(config: RunConfig, dataset: ImageDataset, rng: Rng): { model: tf.LayersModel; batchNormMomentum: number | null } {
  const input = { height: dataset.height, width: dataset.width, channels: dataset.channels };
  const model = MODEL_BUILDERS[config.model].build(input, dataset.classNames.length, rng);
  if (config.precision === 'mixed-fp16') roundLayerOutputsToFloat16(model);
  return { model, batchNormMomentum: adjustBatchNormMomentum(model, config.accumulationSteps) };
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
  const backend = activeWebGpuBackend();
  if (typeof backend?.checkCompileCompletionAsync !== 'function') return null;
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

/** The figures of RunMeasurements that are only known once the run has released its resources. */
type FinalFigures = 'memorySnapshot' | 'memoryTimeline' | 'totalMs' | 'leakedTensors' | 'lossScale';

/** One run in progress: what prepareRun set up, the resources the later phases create, and what is measured so far. */
interface RunState {
  readonly config: RunConfig;
  readonly dataset: ImageDataset;
  readonly hooks: TrainerHooks;
  readonly rng: Rng;
  readonly trainIndices: Int32Array;
  readonly validationIndices: Int32Array;
  /** Training images whose statistics BatchNorm takes before each validation: drawn once, at the run's start. */
  readonly recalibrationIndices: Int32Array;
  readonly totalSteps: number;
  readonly microBatch: number;
  readonly model: tf.LayersModel;
  readonly tensorsAtStart: number;
  readonly faults: GpuFaultWatch | null;
  /** Every wait on the device goes through this: it also ends once the device is lost. */
  readonly untilDeviceLost: <T>(work: Promise<T>) => Promise<T>;
  readonly trainStart: number;
  source: BatchSource | null;
  ctx: StepContext | null;
  /** The fused engine when it trains this run (config.engine fused and covered); null for tfjs's kernels. */
  fused: FusedTraining | null;
  memory: MemoryInstrument | null;
  /** Optimizer steps completed. */
  step: number;
  readonly cadence: CadenceClock;
  readonly earlyStopping: EarlyStopping;
  trainEnd: number | null;
  measured: Omit<RunMeasurements, FinalFigures>;
}

/** Splits the data, builds the model and its estimate, and starts watching the device; nothing is on it yet but the model. */
function prepareRun(config: RunConfig, dataset: ImageDataset, environment: Environment, hooks: TrainerHooks): RunState {
  const startedAt = new Date().toISOString();
  const rng = createRng(config.seed);
  const splits = splitDataset(dataset.labels);
  const trainIndices = stratifiedSubset(splits.train, dataset.labels, config.subsetFraction, rng);
  const validationSubset = stratifiedSubset(splits.validation, dataset.labels, config.subsetFraction, rng);
  const validationIndices = validationSampleIndices(validationSubset, dataset.labels, config.validationSample, config.seed);
  // Its own generator, so the sample leaves the data order of earlier versions unchanged.
  const recalibrationIndices = trainIndices.slice();
  shuffleInPlace(recalibrationIndices, createRng(config.seed + 1));
  const stepsPerEpoch = Math.floor(trainIndices.length / config.batchSize);
  const microBatch = microBatchSize(config);

  const tensorsAtStart = tf.memory().numTensors;
  hooks.emit({ type: 'progress', stage: 'model', message: `Building ${config.model}`, fraction: null });
  const { model, batchNormMomentum } = buildModel(config, dataset, rng);
  let estimate: RunMeasurements['estimate'] = null;
  try {
    estimate = analyzeModel(model, microBatch).memory;
    if (config.precision === 'fp16-activations') estimate = estimateWithKeptActivations(estimate, model);
  } catch {
    // A layer the analyser has no rule for: the estimate is reported as missing, not guessed.
  }
  const faults = watchGpuFaults();
  return {
    config, dataset, hooks, rng, trainIndices, validationIndices, microBatch, model, tensorsAtStart, faults,
    recalibrationIndices: recalibrationIndices.subarray(0, BATCH_NORM_RECALIBRATION_IMAGES),
    cadence: createCadenceClock({ unit: config.validationUnit, interval: config.validationInterval }),
    earlyStopping: new EarlyStopping(config.earlyStoppingPatience),
    totalSteps: stepsPerEpoch * config.epochs,
    untilDeviceLost: untilDeviceLost(faults),
    trainStart: now(),
    source: null, ctx: null, fused: null, memory: null, step: 0, trainEnd: null,
    measured: {
      config, environment, startedAt, status: 'done', reason: null, engine: engineReport(config, fusedEngineRefusal(config, model)),
      model: { name: config.model, params: model.countParams(), batchNormMomentum },
      data: { trainExamples: trainIndices.length, validationExamples: validationIndices.length, stepsPerEpoch, microBatchSize: microBatch },
      stepMs: [], dataMs: [], epochMs: [], curve: [], compileMs: null, timeToTargetMs: null, stoppedEarlyAtEpoch: null,
      validationMs: 0, recalibrationMs: [],
      logical: null, estimate, budgetBytes: config.memoryBudgetGiB * GIB, budgetWarned: false,
      inference: { msPerExample: null, batch: 0 },
    },
  };
}

/** Puts the data on the device, announces the run, compiles the shaders and starts the true-peak instrument. */
async function startTraining(run: RunState): Promise<void> {
  const { config, dataset, hooks, trainIndices, validationIndices, measured } = run;
  if (measured.data.stepsPerEpoch === 0) {
    throw new Error(`The training subset has ${trainIndices.length} examples, fewer than one batch of ${config.batchSize}: ` +
      'raise the subset fraction or lower the batch size.');
  }
  const source = createBatchSource(config.dataPipeline, dataset, Int32Array.from(new Set([...trainIndices, ...validationIndices])));
  run.source = source;
  run.ctx = createStepContext(config, run.model, source);
  hooks.emit({
    type: 'ready', environment: measured.environment, model: measured.model,
    data: { ...measured.data, totalSteps: run.totalSteps }, memoryEstimate: measured.estimate,
  });
  if (measured.engine.ran === 'fused') {
    // The engine's buffers are taken here, before the instrument starts: its peak counts them (it is absolute).
    const compileStart = now();
    run.fused = await FusedTraining.create(config, run.model, source, run.totalSteps, (programs) => hooks.emit({
      type: 'progress', stage: 'compile', message: `Compiling ${programs} GPU programs`, fraction: null,
    }));
    measured.compileMs = now() - compileStart;
    measured.engine.dispatchesPerStep = run.fused.engine.dispatchesPerStep;
  } else {
    hooks.emit({ type: 'progress', stage: 'compile', message: 'Compiling GPU shaders', fraction: null });
    measured.compileMs = await precompileShaders(config, dataset, source, trainIndices.subarray(0, config.batchSize),
      validationIndices.subarray(0, EVAL_BATCH));
  }
  // The peak counts from here: weights, optimizer state and resident data, not the throwaway compile pass. The
  // profiled first step is inside it and peaks lower than the unprofiled steps after it (docs/architecture.md, "Memory").
  run.memory = createMemoryInstrument();
  run.memory.start();
}

/** One epoch's steps, each followed by the validation the cadence calls for (the last one always); false when the run stops here. */
async function trainEpoch(run: RunState, epoch: number): Promise<boolean> {
  const epochStart = now();
  const batches = epochBatches(run.trainIndices, run.config.batchSize, run.rng);
  for (const [i, batch] of batches.entries()) {
    if (run.hooks.isCancelled()) return false;
    if (!(await trainStep(run, epoch, batch))) return false;
    const endOfEpoch = i === batches.length - 1;
    const trainingMs = now() - run.trainStart - run.measured.validationMs;
    if (!run.cadence.shouldValidate(run.step, trainingMs, endOfEpoch)) continue;
    const carryOn = await validate(run, epoch);
    // An epoch lasts to the end of its last validation (unless that was cancelled).
    if (endOfEpoch && run.measured.curve.at(-1)?.step === run.step) run.measured.epochMs.push(now() - epochStart);
    if (!carryOn) return false;
  }
  return true;
}

/**
 * One optimizer step with its step and memory events; false when it went over the memory budget. Throws on a GPU
 * fault and on a loss that is not finite.
 */
async function trainStep(run: RunState, epoch: number, batch: Int32Array): Promise<boolean> {
  if (run.fused) return fusedTrainStep(run, epoch, batch);
  const { config, measured } = run;
  const ctx = run.ctx!;
  setLearningRate(ctx, learningRateAt(
    { name: config.learningRateSchedule, learningRate: config.learningRate, warmupFraction: config.warmupFraction },
    run.step, run.totalSteps));
  const t0 = now();
  let outcome: StepOutcome;
  if (run.step === 0) {
    // The first step is profiled: logical peak and per-kernel times (profiling slows this step only).
    const profiled = await run.untilDeviceLost(measureLogicalPeak(async () => {
      outcome = await optimizerStep(ctx, batch);
      return [];
    }));
    measured.logical = profiled.logical;
  } else {
    outcome = await run.untilDeviceLost(optimizerStep(ctx, batch));
  }
  const stepMs = now() - t0;
  return recordStep(run, epoch, { ...outcome!, step: ++run.step, stepMs });
}

/** The fused engine's step: queued, and the steps whose metrics came back recorded (a few steps late). */
async function fusedTrainStep(run: RunState, epoch: number, batch: Int32Array): Promise<boolean> {
  const finished = await run.untilDeviceLost(run.fused!.step(batch));
  run.step++;
  throwOnFault(run);
  return recordFusedSteps(run, epoch, finished);
}

function recordFusedSteps(run: RunState, epoch: number, finished: FinishedStep[]): boolean {
  return finished.every((done) => recordStep(run, epoch, { ...done, skipped: false }));
}

/** Reads back every queued fused step and writes the engine's weights into the model (before validation and inference). */
async function syncFusedEngine(run: RunState, epoch: number): Promise<boolean> {
  if (!run.fused) return true;
  const carryOn = recordFusedSteps(run, epoch, await run.untilDeviceLost(run.fused.readBack()));
  run.fused.engine.syncToModel();
  return carryOn;
}

function throwOnFault(run: RunState): void {
  const fault = run.faults?.fault();
  if (fault) throw new Error(fault);
}

/** A finished step's event and memory sample; false when it went over the memory budget. Throws on a GPU fault or a non-finite loss. */
function recordStep(
  run: RunState, epoch: number,
  { step, loss, accuracy, stepMs, dataMs, skipped }: StepOutcome & { step: number; stepMs: number },
): boolean {
  const { config, hooks, measured } = run;
  const memory = run.memory!;
  measured.stepMs.push(stepMs);
  measured.dataMs.push(dataMs);
  hooks.emit({
    type: 'step', epoch, step, totalSteps: run.totalSteps, loss, accuracy, stepMs, dataMs, skipped,
    stepTimeSource: measured.engine.stepTimeSource,
    lossScale: run.ctx!.scaler?.scale ?? null, sinceStartMs: hooks.sinceStartMs?.() ?? now() - run.trainStart,
  });
  const sample = memory.sample(step);
  if (sample) {
    const { budgetBytes } = measured;
    const level = memoryLevel(sample.peakBytes, budgetBytes);
    hooks.emit({ type: 'memory', step, bytesInUse: sample.bytesInUse, peakBytes: sample.peakBytes, budgetBytes, level });
    if (level === 'over-budget') {
      measured.status = 'over-budget';
      measured.reason = `GPU memory peaked at ${(sample.peakBytes / 2 ** 20).toFixed(1)} MiB, over the budget of ${config.memoryBudgetGiB} GiB: stopped.`;
      return false;
    }
    measured.budgetWarned ||= level === 'warning';
  }
  throwOnFault(run);
  if (!Number.isFinite(loss)) throw new Error(`The loss became ${loss} at step ${step}: training diverged; lower the learning rate.`);
  return true;
}

/**
 * Recomputes the BatchNorm statistics from the run's fixed sample, validates on the run's validation images (config.validationSample), records
 * the validation and applies early stopping (patience in validations); false when the run stops here (cancelled during
 * validation, or stopped early). Its time counts in the run's wall time and, apart, in validationMs.
 */
async function validate(run: RunState, epoch: number): Promise<boolean> {
  const { config, hooks, measured } = run;
  if (!(await syncFusedEngine(run, epoch))) return false;
  const start = now();
  recalibrateBatchNorm(run.model, run.source!, run.recalibrationIndices, run.microBatch);
  measured.recalibrationMs.push(now() - start);
  const validation = await run.untilDeviceLost(evaluate(run.model, run.source!, run.validationIndices, hooks.isCancelled));
  measured.validationMs += now() - start;
  run.fused?.restartWindow();
  if (!validation) return false;
  const record: EpochRecord = {
    epoch, step: run.step, valLoss: validation.loss, valAccuracy: validation.accuracy, elapsedMs: now() - run.trainStart,
  };
  measured.curve.push(record);
  if (measured.timeToTargetMs === null && record.valAccuracy >= config.targetAccuracy) measured.timeToTargetMs = record.elapsedMs;
  hooks.emit({ type: 'epoch', ...record });
  if (run.earlyStopping.observe(record.valLoss) && run.step < run.totalSteps) {
    const best = measured.curve[run.earlyStopping.bestValidation - 1]!;
    measured.stoppedEarlyAtEpoch = epoch;
    measured.reason = `Stopped early at step ${run.step} (epoch ${epoch}): no lower validation loss for `
      + `${config.earlyStoppingPatience} validation(s) (best at step ${best.step}, epoch ${best.epoch}).`;
    return false;
  }
  return true;
}

/**
 * Stops the clock, then (for a finished run) measures the inference latency, counts what the model gets wrong on the
 * validation images the run scores and hands over the trained model.
 */
async function finishRun(run: RunState): Promise<void> {
  const { hooks, measured } = run;
  if (measured.status === 'done' && hooks.isCancelled()) {
    measured.status = 'cancelled';
    measured.reason = 'Stopped by the user.';
  }
  run.trainEnd = now();
  // After the clock stops: wall time is training and validation only.
  if (measured.status === 'done') measured.inference = await run.untilDeviceLost(measureInference(run.model, run.source!, run.validationIndices));
  if (measured.status === 'done') {
    const { report, gallery } = await run.untilDeviceLost(evaluateMistakes(run.model, run.source!, run.dataset, run.validationIndices));
    measured.evaluation = report;
    hooks.onMisclassified?.(gallery);
  }
  if (measured.status === 'done' && hooks.onTrainedModel) hooks.onTrainedModel(await savedModel(run.model));
}

function recordFailure(run: RunState, error: unknown): void {
  // A lost device makes later calls fail with unhelpful messages; the fault says what really happened.
  const message = run.faults?.fault() ?? ((error as Error).message || String(error));
  run.measured.status = isOutOfMemory(message) ? 'oom' : 'failed';
  run.measured.reason = run.measured.status === 'oom' ? `Out of GPU memory: ${message}` : message;
}

function releaseRun(run: RunState): void {
  run.faults?.dispose();
  run.memory?.stop();
  run.ctx?.optimizer.dispose();
  run.fused?.dispose();
  run.source?.dispose();
  run.model.dispose();
}

/** The measurements once everything is released: the leak count and the instrument's last reading belong to that moment. */
function finalMeasurements(run: RunState): RunMeasurements {
  return {
    ...run.measured,
    memorySnapshot: run.memory?.snapshot() ?? null,
    memoryTimeline: run.memory?.timeline() ?? [],
    totalMs: (run.trainEnd ?? now()) - run.trainStart,
    leakedTensors: tf.memory().numTensors - run.tensorsAtStart,
    lossScale: run.ctx?.scaler ? run.ctx.scaler.toJSON() : null,
  };
}

/**
 * Trains config.model on dataset with Adam and softmax cross-entropy, streaming events through hooks.
 * Every tensor it creates is disposed before it returns (also when cancelled or failing).
 */
export async function runTraining(
  config: RunConfig, dataset: ImageDataset, environment: Environment, hooks: TrainerHooks,
): Promise<RunResult> {
  const run = prepareRun(config, dataset, environment, hooks);
  try {
    await startTraining(run);
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      if (!(await trainEpoch(run, epoch))) break;
    }
    await finishRun(run);
  } catch (error) {
    recordFailure(run, error);
  } finally {
    releaseRun(run);
  }
  return buildRunResult(finalMeasurements(run));
}
