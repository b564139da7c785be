/**
 * Runs a learning-rate range test (lr-range-test.ts) on the configured model and dataset: one pass over up to 200
 * training batches, the rate raised every step, on the fused engine where it covers the run, else on tfjs's kernels.
 */
import * as tf from '../tf';
import type { RunConfig } from '../config';
import type { ImageDataset } from '../data/dataset';
import { epochBatches, splitDataset } from '../data/splits';
import type { LrRangeEvent } from '../events';
import { createRng } from '../rng';
import { createBatchSource, type BatchSource } from './batches';
import { FUSED_READ_BACK_EVERY, engineReport, fusedEngineRefusal } from './fused-training';
import {
  LR_RANGE_TEST, LossSmoother, hasDiverged, rangeTestLearningRate, rangeTestSteps, suggestLearningRate, type LrRangeResult, type RangePoint,
} from './lr-range-test';
import { createStepContext, optimizerStep, setLearningRate } from './optimizer-step';
import { buildModel } from './trainer';

export interface LrRangeHooks {
  emit(event: LrRangeEvent): void;
  /** Polled between steps. */
  isCancelled(): boolean;
}

/** Records one step's loss; false once the smoothed loss diverged (the test stops there). */
type RecordLoss = (step: number, loss: number) => boolean;
type Ending = 'done' | 'diverged' | 'cancelled';

async function tfjsSteps(
  config: RunConfig, model: tf.LayersModel, source: BatchSource, batches: Int32Array[], record: RecordLoss, isCancelled: () => boolean,
): Promise<Ending> {
  const ctx = createStepContext(config, model, source);
  try {
    for (const [step, batch] of batches.entries()) {
      if (isCancelled()) return 'cancelled';
      setLearningRate(ctx, rangeTestLearningRate(step, batches.length));
      if (!record(step, (await optimizerStep(ctx, batch)).loss)) return 'diverged';
    }
    return 'done';
  } finally {
    ctx.optimizer.dispose();
  }
}

/** The fused engine takes the rate per step; its losses come back every FUSED_READ_BACK_EVERY steps. */
async function fusedSteps(
  config: RunConfig, model: tf.LayersModel, source: BatchSource, batches: Int32Array[], record: RecordLoss, isCancelled: () => boolean,
): Promise<Ending> {
  const { FusedEngine } = await import('../engine/engine');
  const engine = new FusedEngine(model, {
    batchSize: config.batchSize, accumulationSteps: config.accumulationSteps, labelSmoothing: config.labelSmoothing,
    learningRate: (step) => rangeTestLearningRate(step, batches.length), metricsEvery: FUSED_READ_BACK_EVERY,
  });
  try {
    await engine.compile();
    for (const [i, batch] of batches.entries()) {
      if (isCancelled()) return 'cancelled';
      const { x, y } = source.batch(batch);
      try {
        engine.step(x, y);
      } finally {
        tf.dispose([x, y]);
      }
      if ((i + 1) % FUSED_READ_BACK_EVERY !== 0 && i + 1 < batches.length) continue;
      for (const { step, loss } of await engine.readMetrics()) if (!record(step - 1, loss)) return 'diverged';
    }
    return 'done';
  } finally {
    engine.dispose();
  }
}

/**
 * The range test of `config` on the active backend: seeded batches of the training split (the subset fraction does not
 * apply), its own model and optimizer; every tensor it creates is disposed before it returns.
 */
export async function runLrRangeTest(config: RunConfig, dataset: ImageDataset, hooks: LrRangeHooks): Promise<LrRangeResult> {
  const start = performance.now();
  const rng = createRng(config.seed);
  const train = splitDataset(dataset.labels).train;
  const steps = rangeTestSteps(Math.floor(train.length / config.batchSize));
  const batches = epochBatches(train, config.batchSize, rng).slice(0, steps);
  const points: RangePoint[] = [];
  const smoother = new LossSmoother();
  let lowest = Number.POSITIVE_INFINITY;
  const record: RecordLoss = (step, loss) => {
    const point = { step, learningRate: rangeTestLearningRate(step, steps), loss, smoothedLoss: smoother.add(loss) };
    points.push(point);
    hooks.emit({ type: 'lr-range-point', point, steps });
    lowest = Math.min(lowest, point.smoothedLoss);
    return !hasDiverged(point.smoothedLoss, lowest);
  };
  hooks.emit({ type: 'progress', stage: 'model', message: `Range test: building ${config.model}`, fraction: null });
  const { model } = buildModel(config, dataset, rng);
  const { ran, reason: engineReason } = engineReport(config, fusedEngineRefusal(config, model));
  let source: BatchSource | null = null;
  let ending: Ending | 'failed' = 'failed';
  let reason: string | null = null;
  try {
    if (steps === 0) throw new Error(`The training split has fewer images than one batch of ${config.batchSize}.`);
    source = createBatchSource(config.dataPipeline, dataset, Int32Array.from(batches.flatMap((batch) => [...batch])));
    hooks.emit({ type: 'progress', stage: 'compile', message: `Range test: ${steps} steps on ${ran === 'fused' ? 'the fused engine' : 'tfjs kernels'}`, fraction: null });
    ending = await (ran === 'fused' ? fusedSteps : tfjsSteps)(config, model, source, batches, record, hooks.isCancelled);
    if (ending === 'diverged') {
      reason = `Stopped at step ${points.length} of ${steps}: the smoothed loss rose above ${LR_RANGE_TEST.divergenceFactor}× its lowest value.`;
    } else if (ending === 'cancelled') {
      reason = `Stopped by the user after ${points.length} of ${steps} steps.`;
    }
  } catch (error) {
    reason = (error as Error).message || String(error);
  } finally {
    source?.dispose();
    model.dispose();
  }
  return {
    status: ending === 'failed' ? 'failed' : ending, reason, points, steps, suggestion: suggestLearningRate(points),
    backend: tf.getBackend(), backendSummary: null, autoChoice: null, engine: { ran, reason: engineReason },
    totalMs: performance.now() - start,
  };
}
