import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/core/tf';
import { defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { LrRangeEvent, LrRangePointEvent } from '../../src/core/events';
import { initBackend } from '../../src/core/train/backend';
import { runLrRangeTest } from '../../src/core/train/lr-range-run';
import {
  LR_RANGE_TEST, LossSmoother, hasDiverged, rangeTestLearningRate, rangeTestSteps, suggestLearningRate, type RangePoint,
} from '../../src/core/train/lr-range-test';
import { loadShippedDataset } from './shipped-data';

/**
 * A synthetic range-test curve over 1e-5 … 1 (101 points, 20 per decade): flat at 2.3, a fall shaped as a logistic in
 * log10(lr) centred at 1e-3 (so it falls fastest exactly there), a floor of 0.3, and a blow-up from 1e-1 on.
 */
function syntheticCurve(): RangePoint[] {
  const smoother = new LossSmoother();
  return Array.from({ length: 101 }, (_, step) => {
    const learningRate = rangeTestLearningRate(step, 101);
    const x = Math.log10(learningRate);
    const loss = 0.3 + 2 / (1 + Math.exp(4 * (x + 3))) + (x > -1 ? 30 * (x + 1) ** 2 : 0);
    return { step, learningRate, loss, smoothedLoss: smoother.add(loss) };
  });
}

describe('range-test schedule and smoothing', () => {
  it('raises the rate exponentially from the minimum to the maximum', () => {
    expect(rangeTestLearningRate(0, 200)).toBeCloseTo(1e-5, 12);
    expect(rangeTestLearningRate(199, 200)).toBeCloseTo(1, 12);
    // Evenly spaced in log scale: the same ratio between every two steps.
    const ratio = rangeTestLearningRate(1, 200) / rangeTestLearningRate(0, 200);
    expect(rangeTestLearningRate(101, 200) / rangeTestLearningRate(100, 200)).toBeCloseTo(ratio, 12);
    expect(ratio).toBeCloseTo(1e5 ** (1 / 199), 12);
  });

  it('runs at most 200 steps, fewer when fewer batches exist', () => {
    expect(rangeTestSteps(1000)).toBe(LR_RANGE_TEST.maxSteps);
    expect(rangeTestSteps(37)).toBe(37);
  });

  it('smooths with a bias-corrected moving average (a constant stays itself)', () => {
    const smoother = new LossSmoother();
    expect([2, 2, 2].map((loss) => smoother.add(loss))).toEqual([2, 2, 2].map((v) => expect.closeTo(v, 12)));
    const step = new LossSmoother();
    step.add(1);
    // (0.9·0.1·1 + 0.1·3) / (1 − 0.81) = 0.39 / 0.19
    expect(step.add(3)).toBeCloseTo(0.39 / 0.19, 12);
  });

  it('stops above 4× the lowest smoothed loss, or on a non-finite one', () => {
    expect(hasDiverged(3.9, 1)).toBe(false);
    expect(hasDiverged(4.1, 1)).toBe(true);
    expect(hasDiverged(Number.NaN, 1)).toBe(true);
  });
});

describe('suggested learning rate', () => {
  it('is the steepest descent of the smoothed curve, before its minimum', () => {
    const suggestion = suggestLearningRate(syntheticCurve());
    expect(suggestion.ok).toBe(true);
    if (!suggestion.ok) return;
    // The raw curve falls fastest at 1e-3; the moving average lags about 1 / (1 − β) = 10 points = half a decade.
    expect(suggestion.learningRate).toBeGreaterThan(1e-3);
    expect(suggestion.learningRate).toBeLessThan(10 ** -2.4);
    // Two significant digits, as the UI applies it.
    expect(Number(suggestion.learningRate.toPrecision(2))).toBe(suggestion.learningRate);
  });

  it('refuses a curve that never falls, and one too short to read', () => {
    const flat = syntheticCurve().map((point, i) => ({ ...point, smoothedLoss: 2 + i * 0.01 }));
    expect(suggestLearningRate(flat)).toMatchObject({ ok: false, reason: expect.stringMatching(/never fell/) });
    expect(suggestLearningRate(syntheticCurve().slice(0, 3))).toMatchObject({ ok: false, reason: expect.stringMatching(/too few/) });
  });
});

describe('range test on the tfjs CPU backend', () => {
  let dataset: ImageDataset;
  beforeAll(async () => {
    dataset = await loadShippedDataset('mnist');
    await initBackend('cpu');
  });
  const config: RunConfig = { ...defaultRunConfig(), backend: 'cpu', model: 'mlp', batchSize: 32 };

  it('raises the rate every step, suggests a rate, says it ran on tfjs kernels and leaves no tensor behind', async () => {
    const baseline = tf.memory().numTensors;
    const events: LrRangeEvent[] = [];
    const result = await runLrRangeTest(config, dataset, { emit: (event) => events.push(event), isCancelled: () => false });
    const points = events.filter((e): e is LrRangePointEvent => e.type === 'lr-range-point').map((e) => e.point);
    expect(tf.memory().numTensors).toBe(baseline);
    expect(result.steps).toBe(200);
    expect(result.points).toEqual(points);
    expect(points.map((p) => p.step)).toEqual(points.map((_, i) => i));
    expect(points.every((p, i) => i === 0 || p.learningRate > points[i - 1]!.learningRate)).toBe(true);
    // An mlp on MNIST trains at some rate in 1e-5 … 1 and diverges near 1: a suggestion, inside the range.
    expect(['done', 'diverged']).toContain(result.status);
    expect(result.suggestion.ok).toBe(true);
    if (result.suggestion.ok) {
      expect(result.suggestion.learningRate).toBeGreaterThan(1e-5);
      expect(result.suggestion.learningRate).toBeLessThan(1);
    }
    expect(result.engine).toEqual({ ran: 'tfjs', reason: 'the fused engine runs on WebGPU only; this run is on cpu' });
    expect(result.backend).toBe('cpu');
  }, 300_000);

  it('stops when cancelled, and still disposes everything', async () => {
    const baseline = tf.memory().numTensors;
    let seen = 0;
    const result = await runLrRangeTest(config, dataset, {
      emit: (event) => { if (event.type === 'lr-range-point') seen++; },
      isCancelled: () => seen >= 10,
    });
    expect(result.status).toBe('cancelled');
    expect(result.points).toHaveLength(10);
    expect(result.reason).toMatch(/Stopped by the user after 10 of 200 steps/);
    expect(tf.memory().numTensors).toBe(baseline);
  }, 300_000);
});
