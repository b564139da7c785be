import { describe, expect, it } from 'vitest';
import * as tf from '../../src/core/tf';
import { learningRateAt, type LearningRateSchedule } from '../../src/core/train/schedule';
import { classificationLoss } from '../../src/core/train/optimizer-step';

const schedule = (name: LearningRateSchedule['name'], warmupFraction = 0.1): LearningRateSchedule =>
  ({ name, learningRate: 0.1, warmupFraction });

describe('learning-rate schedules (hand-computed values, PyTorch definitions)', () => {
  it('constant is the learning rate at every step', () => {
    for (const step of [0, 50, 99]) expect(learningRateAt(schedule('constant'), step, 100)).toBe(0.1);
  });

  it('warmup-cosine: lr·(step+1)/W over W = 10 warm-up steps, then a cosine from lr towards 0', () => {
    const s = schedule('warmup-cosine', 0.1);
    expect(learningRateAt(s, 0, 100)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(s, 4, 100)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(s, 9, 100)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, 10, 100)).toBeCloseTo(0.1, 12);
    // Halfway through the 90 decay steps: half the rate. The last step: 0.05·(1 − cos(π/90)) = 3.0459e-5.
    expect(learningRateAt(s, 55, 100)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(s, 99, 100)).toBeCloseTo(3.0459e-5, 8);
  });

  it('one-cycle: from lr/25 up to lr at step 29 (pct_start 0.3), down to lr/25/1e4 at the last step', () => {
    const s = schedule('one-cycle', 0.3);
    expect(learningRateAt(s, 0, 100)).toBeCloseTo(0.004, 12);
    expect(learningRateAt(s, 29, 100)).toBeCloseTo(0.1, 12);
    // Phase 2 spans steps 29..99 (70 steps); step 64 is its middle: (0.1 + 4e-7) / 2.
    expect(learningRateAt(s, 64, 100)).toBeCloseTo(0.0500002, 12);
    expect(learningRateAt(s, 99, 100)).toBeCloseTo(4e-7, 12);
  });
});

describe('label smoothing', () => {
  it('matches PyTorch CrossEntropyLoss(label_smoothing=0.1) on a hand-computed case', () => {
    // logits [2, 1, 0], class 0, ε = 0.1, K = 3: targets [0.9333, 0.0333, 0.0333] against log-softmax
    // [−0.407606, −1.407606, −2.407606]; PyTorch: 0.9·0.407606 + 0.1·(0.407606 + 1.407606 + 2.407606)/3 = 0.507606.
    tf.setBackend('cpu');
    const logits = tf.tensor2d([[2, 1, 0]]);
    const labels = tf.tensor2d([[1, 0, 0]]);
    const smoothed = classificationLoss(labels, logits, 0.1);
    const plain = classificationLoss(labels, logits, 0);
    expect(smoothed.dataSync()[0]).toBeCloseTo(0.507606, 5);
    expect(plain.dataSync()[0]).toBeCloseTo(0.407606, 5);
    tf.dispose([logits, labels, smoothed, plain]);
  });
});
