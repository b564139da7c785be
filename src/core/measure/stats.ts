import type { StepTimeSummary } from '../result';

/** Quantile by linear interpolation between closest ranks (the R-7 / NumPy default). Returns NaN for no samples. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export function summarizeStepTimes(stepMs: readonly number[]): StepTimeSummary {
  const steady = stepMs.slice(1);
  const pick = (q: number) => (steady.length ? quantile(steady, q) : null);
  return {
    firstStepMs: stepMs[0] ?? null,
    medianStepMs: pick(0.5),
    p10StepMs: pick(0.1),
    p90StepMs: pick(0.9),
    steadySteps: steady.length,
  };
}
