/** Learning-rate schedules as pure functions of the optimizer step, defined as PyTorch's schedulers compute them. */

export const LEARNING_RATE_SCHEDULES = ['constant', 'warmup-cosine', 'one-cycle'] as const;
export type LearningRateScheduleName = (typeof LEARNING_RATE_SCHEDULES)[number];

export interface LearningRateSchedule {
  name: LearningRateScheduleName;
  /** The peak (and, for constant, the only) learning rate. */
  learningRate: number;
  /** Share of the steps spent warming up (warmup-cosine), or rising to the peak (one-cycle's pct_start). */
  warmupFraction: number;
}

/** one-cycle starts at learningRate / 25 and ends at that / 10⁴ (PyTorch OneCycleLR's div_factor and final_div_factor). */
export const ONE_CYCLE_DIV_FACTOR = 25;
export const ONE_CYCLE_FINAL_DIV_FACTOR = 1e4;

/** Steps of warmup-cosine's linear warm-up: at least one, so step 0 never trains at a zero rate. */
export function warmupSteps(warmupFraction: number, totalSteps: number): number {
  return Math.max(1, Math.round(warmupFraction * totalSteps));
}

/** PyTorch's _annealing_cos: from start (pct 0) to end (pct 1) along half a cosine. */
function annealCosine(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/**
 * The learning rate of optimizer step `step` (0-based: the steps already taken) out of `totalSteps`.
 * - warmup-cosine: lr·(step+1)/W for the W warm-up steps (LinearLR(1/W, 1, W−1)), then a cosine from lr to 0 over the
 *   remaining steps (CosineAnnealingLR(T_max = totalSteps − W)).
 * - one-cycle: OneCycleLR(max_lr = lr, total_steps, pct_start = warmupFraction), cosine annealing, two phases.
 */
export function learningRateAt(schedule: LearningRateSchedule, step: number, totalSteps: number): number {
  const { learningRate: lr, warmupFraction } = schedule;
  switch (schedule.name) {
    case 'constant':
      return lr;
    case 'warmup-cosine': {
      const warmup = warmupSteps(warmupFraction, totalSteps);
      if (step < warmup) return (lr * (step + 1)) / warmup;
      const decaySteps = Math.max(1, totalSteps - warmup);
      return annealCosine(lr, 0, Math.min(1, (step - warmup) / decaySteps));
    }
    case 'one-cycle': {
      const initial = lr / ONE_CYCLE_DIV_FACTOR;
      const final = initial / ONE_CYCLE_FINAL_DIV_FACTOR;
      const peakStep = warmupFraction * totalSteps - 1;
      const lastStep = totalSteps - 1;
      if (step <= peakStep) return annealCosine(initial, lr, peakStep <= 0 ? 1 : step / peakStep);
      const span = lastStep - peakStep;
      return annealCosine(lr, final, span <= 0 ? 1 : Math.min(1, (step - peakStep) / span));
    }
  }
}
