/**
 * The learning-rate range test (fastai's lr_find): the schedule that raises the rate exponentially, the smoothed loss,
 * the stop on divergence and the suggested rate. Pure: the run itself is lr-range-run.ts.
 */

export const LR_RANGE_TEST = {
  minLearningRate: 1e-5,
  /** RunConfig's largest learning rate. */
  maxLearningRate: 1,
  maxSteps: 200,
  /** β of the bias-corrected exponential moving average of the loss (a lag of about 1 / (1 − β) = 10 steps). */
  smoothing: 0.9,
  /** Stop once the smoothed loss is above this many times its lowest value. */
  divergenceFactor: 4,
} as const;

/** The rule the suggestion follows, in words for the UI and the README. */
export const SUGGESTION_RULE = 'the learning rate where the smoothed loss falls fastest (the steepest descent of '
  + 'smoothed loss against log learning rate), before the smoothed loss reaches its minimum';

/** Steps of a range test: one pass over at most maxSteps batches of the training split. */
export function rangeTestSteps(availableBatches: number): number {
  return Math.max(0, Math.min(LR_RANGE_TEST.maxSteps, availableBatches));
}

/** The rate of step `step` (0-based) of `steps`: from the minimum at the first step to the maximum at the last, evenly in log scale. */
export function rangeTestLearningRate(step: number, steps: number): number {
  const { minLearningRate: min, maxLearningRate: max } = LR_RANGE_TEST;
  if (steps <= 1) return min;
  return min * (max / min) ** (Math.min(step, steps - 1) / (steps - 1));
}

/** Bias-corrected exponential moving average of the loss (fastai's smoothing, with β = LR_RANGE_TEST.smoothing). */
export class LossSmoother {
  private average = 0;
  private count = 0;

  add(loss: number): number {
    const beta = LR_RANGE_TEST.smoothing;
    this.average = beta * this.average + (1 - beta) * loss;
    this.count++;
    return this.average / (1 - beta ** this.count);
  }
}

/** Whether the test should stop: the smoothed loss is not finite, or above divergenceFactor × the lowest so far. */
export function hasDiverged(smoothedLoss: number, lowestSmoothedLoss: number): boolean {
  return !Number.isFinite(smoothedLoss) || smoothedLoss > LR_RANGE_TEST.divergenceFactor * lowestSmoothedLoss;
}

export interface RangePoint {
  /** 0-based step of the test. */
  step: number;
  learningRate: number;
  loss: number;
  smoothedLoss: number;
}

export type Suggestion =
  | { ok: true; learningRate: number; /** index into the points */ index: number }
  | { ok: false; reason: string };

/** Points before this many are not enough to call a slope. */
const MIN_POINTS = 5;

/**
 * The suggested rate (SUGGESTION_RULE): the most negative slope of the smoothed loss against log10 of the rate, by
 * central differences, over the points up to the lowest smoothed loss; rounded to two significant digits.
 */
export function suggestLearningRate(points: readonly RangePoint[]): Suggestion {
  if (points.length < MIN_POINTS) return { ok: false, reason: `only ${points.length} steps ran: too few to read a slope` };
  let lowest = 0;
  points.forEach((point, i) => { if (point.smoothedLoss < points[lowest]!.smoothedLoss) lowest = i; });
  const logRate = points.map((point) => Math.log10(point.learningRate));
  let steepest = -1;
  let steepestSlope = 0;
  for (let i = 1; i < Math.min(lowest, points.length - 1); i++) {
    const slope = (points[i + 1]!.smoothedLoss - points[i - 1]!.smoothedLoss) / (logRate[i + 1]! - logRate[i - 1]!);
    if (slope < steepestSlope) [steepest, steepestSlope] = [i, slope];
  }
  if (steepest < 0) return { ok: false, reason: 'the smoothed loss never fell: no rate in the range trained this model' };
  const learningRate = Math.min(LR_RANGE_TEST.maxLearningRate, Number(points[steepest]!.learningRate.toPrecision(2)));
  return { ok: true, learningRate, index: steepest };
}

import type { AutoBackendChoice } from '../environment';

/** What a range test measured: the points, why it stopped, and what ran it. */
export interface LrRangeResult {
  status: 'done' | 'diverged' | 'cancelled' | 'failed';
  /** Why it stopped before its last step, or why it failed; null when it ran every step. */
  reason: string | null;
  points: RangePoint[];
  /** Steps planned (it stops earlier on divergence). */
  steps: number;
  suggestion: Suggestion;
  backend: string;
  /** How the backend was chosen (the worker's environment summary), and auto's measurement when auto chose it. */
  backendSummary: string | null;
  autoChoice: AutoBackendChoice | null;
  /** The kernels that trained, and why tfjs's when the fused engine was asked for. */
  engine: { ran: 'fused' | 'tfjs'; reason: string | null };
  /** Wall time of the test, compile included. */
  totalMs: number;
}
