import type { RunConfig } from './config';
import type { Environment } from './environment';
import type { StepTimeSummary } from './measure/stats';

export type RunStatus = 'done' | 'failed' | 'cancelled';

export interface EpochRecord {
  epoch: number;
  valLoss: number;
  valAccuracy: number;
  /** Wall time from the start of training to the end of this epoch's validation. */
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
  model: { name: string; params: number };
  data: { trainExamples: number; validationExamples: number; stepsPerEpoch: number; microBatchSize: number };
  timing: StepTimeSummary & {
    /** WebGPU: wall time of the parallel shader pre-compilation before the first step (null elsewhere). */
    compileMs: number | null;
    stepsCompleted: number;
    /** Samples per second at the steady median step time. */
    samplesPerSec: number | null;
    epochMs: number[];
    /** Training loop wall time, validation included. */
    totalMs: number;
    /** Wall time to the first validation at or above config.targetAccuracy; null = not reached. */
    timeToTargetMs: number | null;
  };
  accuracy: {
    finalValAccuracy: number | null;
    finalValLoss: number | null;
    bestValAccuracy: number | null;
    reachedTarget: boolean;
    curve: EpochRecord[];
  };
}
