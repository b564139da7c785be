import type { RunConfig } from './config';
import type { Environment } from './environment';
import type { EvaluationReport } from './evaluation-report';
import type { MemoryEstimate } from './models/analysis';

/** One kernel's share of the profiled first step. */
export interface KernelTime {
  name: string;
  calls: number;
  totalMs: number;
}

/** Step wall times: the first apart, the steady ones as median and spread. */
export interface StepTimeSummary {
  /** The first step, which includes shader compilation and warm-up; null when no step ran. */
  firstStepMs: number | null;
  /** Median/p10/p90 of the steps after the first (steady state); null with fewer than two steps. */
  medianStepMs: number | null;
  p10StepMs: number | null;
  p90StepMs: number | null;
  steadySteps: number;
}

/** Dynamic loss scaling over a run: the final scale and the skipped updates. */
export interface LossScalerSummary {
  finalScale: number;
  skippedSteps: number;
  totalSteps: number;
}

export type RunStatus = 'done' | 'failed' | 'cancelled' | 'over-budget' | 'oom';

/** Which kernels trained the run: the one asked for (config.engine), the one that ran, and why they differ. */
export interface EngineReport {
  requested: RunConfig['engine'];
  ran: RunConfig['engine'];
  /** Why the fused engine did not run although it was requested; null when it ran or was not requested. */
  reason: string | null;
  /**
   * What a step time is. per-step: each step's wall time up to its loss read back (tfjs). window: the fused engine
   * queues steps without waiting, so a step time is the wall time between two metric read-backs over their steps.
   */
  stepTimeSource: 'per-step' | 'window';
  /** Compute dispatches per optimizer step, as the fused engine counts them; null for tfjs. */
  dispatchesPerStep: number | null;
}

/**
 * GPU memory of a run, three figures with different meanings (bytes):
 * - truePeakBytes: the most bytes of GPU buffers the backend held in use at once during training, on a fresh backend
 *   (WebGPU: every buffer acquire/release observed; WebGL: numBytesInGPU sampled after each step; CPU: null).
 * - logicalPeakBytes: the most bytes of live tensors during the first (profiled) step, per tf.profile: counts tensors,
 *   not buffers, so a clone counts twice and pooling is invisible.
 * - estimatedBytes: the analytic estimate from the model's structure (weights, gradients, Adam state, activations
 *   kept for backprop at the micro-batch, fp32).
 */
export interface RunMemory {
  truePeakBytes: number | null;
  /** How the true peak was measured, e.g. "webgpu-buffer-manager". */
  truePeakSource: string | null;
  /** Why the true peak is missing or approximate. */
  truePeakNote: string | null;
  logicalPeakBytes: number | null;
  estimatedBytes: number | null;
  estimate: MemoryEstimate | null;
  /** The most bytes the backend's buffer pool held from the GPU, free buffers included. */
  allocatedBytes: number | null;
  budgetBytes: number;
  /** The peak reached 7.5/8 of the budget at some step. */
  budgetWarning: boolean;
  /** Bytes in use after each step and the peak since the previous step. */
  timeline: { step: number; bytesInUse: number; peakBytes: number }[];
  /** Per-kernel times of the profiled first step, slowest first. */
  topKernels: KernelTime[];
  /** Tensors still alive after the run cleaned up, less those alive before it: 0 unless something leaked. */
  leakedTensors: number;
}

/** One validation (config.validationUnit says how often they happen; every epoch's end is one). */
export interface EpochRecord {
  /** The epoch it happened in. */
  epoch: number;
  /** Optimizer steps completed before it; absent in results from links or from before validation cadence existed. */
  step?: number;
  valLoss: number;
  valAccuracy: number;
  /** Wall time from the start of training to the end of this validation, earlier validations included. */
  elapsedMs: number;
}

/**
 * The one JSON object a run produces. The matrix, history, links and exports all read this and nothing else.
 * Times are wall-clock milliseconds measured in the worker with performance.now(); a step ends when its loss
 * has been read back from the device.
 */
export interface RunResult {
  schemaVersion: 1;
  config: RunConfig;
  environment: Environment;
  status: RunStatus;
  /** Why the run did not finish normally (null when done). */
  reason: string | null;
  startedAt: string;
  /** Absent in results from before the engine choice (they all ran tfjs's kernels). */
  engine?: EngineReport;
  model: { name: string; params: number; batchNormMomentum: number | null };
  data: { trainExamples: number; validationExamples: number; stepsPerEpoch: number; microBatchSize: number };
  timing: StepTimeSummary & {
    /** WebGPU: wall time of the parallel shader pre-compilation before the first step (null elsewhere). */
    compileMs: number | null;
    stepsCompleted: number;
    /** Samples per second at the steady median step time. */
    samplesPerSec: number | null;
    /** Median CPU time per step spent preparing input batches (conversion and upload calls, or gather dispatch). */
    medianDataMs: number | null;
    epochMs: number[];
    /** Training loop wall time, validation included (as DAWNBench counts it). */
    totalMs: number;
    /**
     * The parts of totalMs: training steps, and validations (BatchNorm recalibration included); with the number of
     * validations and the median time of one recalibration from its fixed sample. Absent in results shared by link
     * or recorded before validation cadence existed.
     */
    trainingMs?: number;
    validationMs?: number;
    validations?: number;
    medianRecalibrationMs?: number | null;
    /** Wall time, validation included, to the first validation at or above config.targetAccuracy; null = not reached. */
    timeToTargetMs: number | null;
  };
  memory: RunMemory;
  /** Forward pass in inference mode after training: median over a few passes of one batch, per example (null if not run). */
  inference: { msPerExample: number | null; batch: number };
  precision: {
    mode: RunConfig['precision'];
    /** Dynamic loss scaling in the half-precision modes: final scale and skipped steps. */
    lossScale: LossScalerSummary | null;
  };
  accuracy: {
    finalValAccuracy: number | null;
    finalValLoss: number | null;
    bestValAccuracy: number | null;
    reachedTarget: boolean;
    curve: EpochRecord[];
    /** Early stopping ended the run in this epoch (its reason says at which step); null when it ran every epoch. */
    stoppedEarlyAtEpoch: number | null;
  };
  /**
   * The trained model's confusion matrix and per-class accuracy on the validation images the run scores, counted after
   * training (outside the clock). Absent for runs that did not finish, results shared by link and older results.
   */
  evaluation?: EvaluationReport;
}
