import type { RunConfig } from './config';
import type { AutoBackendChoice, Environment } from './environment';
import type { MisclassifiedGallery } from './evaluation-report';
import type { MemoryLevel } from './measure/budget';
import type { MemoryEstimate } from './models/analysis';
import type { EpochRecord, RunResult } from './result';
import type { LrRangeResult, RangePoint } from './train/lr-range-test';

/** Typed messages between the UI and the training worker: the seam of the app. */

export interface ProgressEvent {
  type: 'progress';
  stage: 'data' | 'model' | 'compile' | 'backend';
  message: string;
  /** 0..1, or null when unknown. */
  fraction: number | null;
}

export interface ReadyEvent {
  type: 'ready';
  environment: Environment;
  model: { name: string; params: number; batchNormMomentum: number | null };
  data: { trainExamples: number; validationExamples: number; stepsPerEpoch: number; totalSteps: number };
  memoryEstimate: MemoryEstimate | null;
}

export interface StepEvent {
  type: 'step';
  epoch: number;
  /** 1-based optimizer step over the whole run. */
  step: number;
  totalSteps: number;
  loss: number;
  accuracy: number;
  stepMs: number;
  /** per-step: this step's own wall time; window: the wall time between two fused-engine read-backs over their steps. */
  stepTimeSource: 'per-step' | 'window';
  /** CPU time of this step spent preparing its input batches. */
  dataMs: number;
  /** The loss scaler skipped this update (inf/NaN gradients). */
  skipped: boolean;
  lossScale: number | null;
  /** Milliseconds since the run message arrived in the worker (data load and compile included). */
  sinceStartMs: number;
}


/** GPU memory after a step: bytes in use now and the most in use during the step. */
export interface MemoryEvent {
  type: 'memory';
  step: number;
  bytesInUse: number;
  peakBytes: number;
  budgetBytes: number;
  /** warning from 7.5/8 of the budget; over-budget stops the run. */
  level: MemoryLevel;
}

export interface EpochEvent extends EpochRecord {
  type: 'epoch';
}

/** A trained model in tfjs's save format (model.json's contents and the weights), for download. */
export interface TrainedModel {
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: ArrayBuffer;
}

export interface DoneEvent {
  type: 'done';
  result: RunResult;
  /** The trained model, when the run finished; it is not part of the result (history, links), only downloadable. */
  model: TrainedModel | null;
  /** The most confident mistakes on the validation images, with their pixels (result.evaluation has the counts). */
  misclassified: MisclassifiedGallery | null;
}

export interface FailedEvent {
  type: 'failed';
  message: string;
  /** What was measured before the failure, when a run had started. */
  result: RunResult | null;
}

export type TrainerEvent = ProgressEvent | ReadyEvent | StepEvent | MemoryEvent | EpochEvent | DoneEvent | FailedEvent;

export interface EnvironmentEvent {
  type: 'environment';
  environment: Environment | null;
  error: string | null;
}

/** One step of a learning-rate range test, as it comes back. */
export interface LrRangePointEvent {
  type: 'lr-range-point';
  point: RangePoint;
  /** Steps planned. */
  steps: number;
}

export interface LrRangeDoneEvent {
  type: 'lr-range-done';
  result: LrRangeResult;
}

/** What a learning-rate range test streams: data and model progress, its points, then one done. */
export type LrRangeEvent = ProgressEvent | LrRangePointEvent | LrRangeDoneEvent;

export type WorkerEvent = TrainerEvent | EnvironmentEvent | LrRangePointEvent | LrRangeDoneEvent;

/** A dataset for a spare worker to load before a run asks for it. */
export interface DatasetPrefetch {
  dataset: RunConfig['dataset'];
  dataBaseUrl: string;
}

export type WorkerRequest =
  /** Starts the backend; with `prefetch`, also loads that dataset, so a run that asks for it soon finds it ready. */
  | { type: 'probe'; backend: RunConfig['backend']; prefetch: DatasetPrefetch | null }
  /** autoChoice: the page's measurement for an earlier run like this one (backend auto), used instead of measuring again. */
  | { type: 'run'; config: RunConfig; dataBaseUrl: string; autoChoice?: AutoBackendChoice }
  | { type: 'lr-range-test'; config: RunConfig; dataBaseUrl: string; autoChoice?: AutoBackendChoice }
  | { type: 'cancel' };
