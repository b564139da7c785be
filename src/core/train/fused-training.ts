/** The trainer's side of the fused WebGPU engine: whether it runs a config, and its steps with read-back windows. */
import * as tf from '../tf';
import type { RunConfig } from '../config';
// Loaded when a run uses it: engine.ts reads WebGPU globals at import, which browsers without WebGPU lack.
import type { FusedEngine } from '../engine/engine';
import { coverage } from '../engine/plan';
import type { EngineReport } from '../result';
import type { BatchSource } from './batches';
import { learningRateAt } from './schedule';

/** Steps queued between two metric read-backs: a non-finite loss ends the run within this many steps. */
export const FUSED_READ_BACK_EVERY = 8;

/** Why the fused engine cannot train this run (checked in this order), or null when it can. */
export function fusedEngineRefusal(config: RunConfig, model: tf.LayersModel): string | null {
  if (config.engine !== 'fused') return null;
  const backend = tf.getBackend();
  if (backend !== 'webgpu') return `the fused engine runs on WebGPU only; this run is on ${backend}`;
  if (config.precision !== 'fp32') return `the fused engine trains in fp32 only; this run asks for ${config.precision}`;
  const covered = coverage(model);
  return covered.ok ? null : covered.reason;
}

/** The engine report of a run before it trains: fused when requested and nothing refuses it. */
export function engineReport(config: RunConfig, refusal: string | null): EngineReport {
  const ran = config.engine === 'fused' && refusal === null ? 'fused' : 'tfjs';
  return {
    requested: config.engine, ran, reason: config.engine === 'fused' ? refusal : null,
    stepTimeSource: ran === 'fused' ? 'window' : 'per-step', dispatchesPerStep: null,
  };
}

/** One step whose metrics came back: its step time is its read-back window's wall time over the window's steps. */
export interface FinishedStep {
  step: number;
  loss: number;
  accuracy: number;
  stepMs: number;
  dataMs: number;
}

/** A run's fused engine: steps queued back to back, their metrics read back every FUSED_READ_BACK_EVERY steps. */
export class FusedTraining {
  private windowStart = performance.now();
  private readonly dataMs = new Map<number, number>();
  private queued = 0;

  private constructor(readonly engine: FusedEngine, private readonly source: BatchSource) {}

  /**
   * Copies the model's weights into a new engine and compiles its programs, announced with their count first. The
   * learning rate of each step is the run's schedule over `totalSteps`, as on tfjs's kernels.
   */
  static async create(
    config: RunConfig, model: tf.LayersModel, source: BatchSource, totalSteps: number, announce: (programs: number) => void,
  ): Promise<FusedTraining> {
    const { FusedEngine } = await import('../engine/engine');
    const schedule = { name: config.learningRateSchedule, learningRate: config.learningRate, warmupFraction: config.warmupFraction };
    const engine = new FusedEngine(model, {
      batchSize: config.batchSize, accumulationSteps: config.accumulationSteps,
      learningRate: (step) => learningRateAt(schedule, step, totalSteps), labelSmoothing: config.labelSmoothing,
      metricsEvery: FUSED_READ_BACK_EVERY,
    });
    try {
      announce(engine.programCount);
      await engine.compile();
      return new FusedTraining(engine, source);
    } catch (error) {
      engine.dispose();
      throw error;
    }
  }

  /** Queues one optimizer step; after step 1 and every FUSED_READ_BACK_EVERY steps, the steps whose metrics came back. */
  async step(indices: Int32Array): Promise<FinishedStep[]> {
    const start = performance.now();
    const { x, y } = this.source.batch(indices);
    this.dataMs.set(++this.queued, performance.now() - start);
    try {
      this.engine.step(x, y);
    } finally {
      tf.dispose([x, y]);
    }
    // Step 1 is read back alone: the first step event (and the start-up figure) does not wait for a whole window.
    return this.queued === 1 || this.queued % FUSED_READ_BACK_EVERY === 0 ? this.readBack() : [];
  }

  /** Waits for every queued step's metrics; the window's wall time is shared equally by its steps. */
  async readBack(): Promise<FinishedStep[]> {
    const metrics = await this.engine.readMetrics();
    const end = performance.now();
    const stepMs = metrics.length > 0 ? (end - this.windowStart) / metrics.length : 0;
    this.windowStart = end;
    return metrics.map(({ step, loss, accuracy }) => {
      const dataMs = this.dataMs.get(step) ?? 0;
      this.dataMs.delete(step);
      return { step, loss, accuracy, stepMs, dataMs };
    });
  }

  /** Restarts the step-time window (after a validation, which is not step time). */
  restartWindow(): void {
    this.windowStart = performance.now();
  }

  dispose(): void {
    this.engine.dispose();
  }
}
