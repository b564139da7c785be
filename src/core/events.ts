import type { RunConfig } from './config';
import type { Environment } from './environment';
import type { EpochRecord, RunResult } from './result';

/** Typed messages between the UI and the training worker: the seam of the app. */

export interface ProgressEvent {
  type: 'progress';
  stage: 'data' | 'model' | 'compile';
  message: string;
  /** 0..1, or null when unknown. */
  fraction: number | null;
}

export interface ReadyEvent {
  type: 'ready';
  environment: Environment;
  model: { name: string; params: number };
  data: { trainExamples: number; validationExamples: number; stepsPerEpoch: number; totalSteps: number };
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
  /** Milliseconds since the run message arrived in the worker (data load and compile included). */
  sinceStartMs: number;
}

export interface EpochEvent extends EpochRecord {
  type: 'epoch';
}

export interface DoneEvent {
  type: 'done';
  result: RunResult;
}

export interface FailedEvent {
  type: 'failed';
  message: string;
  /** What was measured before the failure, when a run had started. */
  result: RunResult | null;
}

export type TrainerEvent = ProgressEvent | ReadyEvent | StepEvent | EpochEvent | DoneEvent | FailedEvent;

export interface EnvironmentEvent {
  type: 'environment';
  environment: Environment | null;
  error: string | null;
}

export type WorkerEvent = TrainerEvent | EnvironmentEvent;

export type WorkerRequest =
  | { type: 'probe'; backend: RunConfig['backend'] }
  | { type: 'run'; config: RunConfig; dataBaseUrl: string }
  | { type: 'cancel' };
