import { quantile } from '../measure/stats';
import type { Direction, NormalisationRange, Scale } from './types';

/**
 * Normalisation of raw measured values onto 1–10 (10 = best in this matrix, 1 = worst).
 *
 * Rules, in order:
 * 1. Missing or unusable values score null (the caller keeps the reason); they never become 0 and never stretch the range.
 *    Non-finite numbers, and values ≤ 0 on a log scale, are unusable.
 * 2. Log-scale metrics (bytes, milliseconds) are compared as log10(value): 2× apart is the same step at 1 MB as at 1 GB,
 *    which is how people read resource figures, and one huge value cannot flatten the rest.
 * 3. Outliers: with at least MIN_ROWS_FOR_CLIPPING values, the range is clipped to median ± OUTLIER_MAD_K robust standard
 *    deviations (1.4826·MAD, in the transformed space); values beyond are clipped to the bound and flagged. Unlike
 *    percentile winsorising this leaves evenly spread values alone (the best still gets 10, the worst 1) and only bites on
 *    real outliers, e.g. one run 100× slower because of a shader recompile. With fewer values, or MAD = 0 (most values
 *    equal), there is no reliable spread to judge by, so nothing is clipped.
 * 4. Minimum span: a range narrower than MIN_SPAN (a factor of 2 on a log scale, 0.1 — ten percentage points — on a
 *    linear one) is widened symmetrically about its centre to that span, so 6.03 s against 6.07 s scores about 5.5 each
 *    rather than 10 and 1: differences within measurement noise must not decide a matrix.
 * 5. Linear min–max over the (clipped, widened) range: best end → 10, worst end → 1, direction-aware.
 * 6. All values equal (range below EQUAL_TOLERANCE): everyone scores EQUAL_VALUES_SCORE = 5.5, the midpoint. The criterion
 *    then cannot separate the candidates; 5.5 shifts every total by the same amount (ranking unchanged) without claiming
 *    a lone or tied candidate is the best (10) or the worst (1) — it is also what a one-row matrix shows.
 */

export const EQUAL_VALUES_SCORE = 5.5;
/** Narrowest range stretched over 1–10, in transformed units (log10 for 'log'). */
export const MIN_SPAN: Record<Scale, number> = { log: Math.log10(2), linear: 0.1 };
export const OUTLIER_MAD_K = 3;
export const MIN_ROWS_FOR_CLIPPING = 5;
/** 1.4826·MAD estimates the standard deviation of normally distributed data. */
const MAD_TO_SIGMA = 1.4826;
const EQUAL_TOLERANCE = 1e-12;

export interface NormalisationInput {
  id: string;
  value: number | null;
}

export interface NormalisedMetric {
  scores: Record<string, number | null>;
  /** Per row: why a present value was not scored, or that it was clipped as an outlier. */
  notes: Record<string, string>;
  range: NormalisationRange;
}

function transform(value: number, scale: Scale): number {
  return scale === 'log' ? Math.log10(value) : value;
}

function untransform(value: number, scale: Scale): number {
  return scale === 'log' ? 10 ** value : value;
}

/** Maps a transformed value inside [low, high] onto 1–10; low is the raw minimum. */
function scoreWithin(t: number, low: number, high: number, direction: Direction): number {
  const fraction = (t - low) / (high - low);
  return direction === 'higher-is-better' ? 1 + 9 * fraction : 10 - 9 * fraction;
}

export function normaliseMetric(
  metricId: string, inputs: readonly NormalisationInput[], direction: Direction, scale: Scale,
): NormalisedMetric {
  const scores: Record<string, number | null> = {};
  const notes: Record<string, string> = {};
  const usable: { id: string; value: number; t: number }[] = [];
  for (const { id, value } of inputs) {
    scores[id] = null;
    if (value === null) continue;
    if (!Number.isFinite(value)) notes[id] = `not scored: ${value} is not a finite number`;
    else if (scale === 'log' && value <= 0) notes[id] = `not scored: ${value} cannot be placed on a log scale`;
    else usable.push({ id, value, t: transform(value, scale) });
  }
  const range: NormalisationRange = { metricId, low: null, high: null, clippedRowIds: [], allEqual: false, count: usable.length };
  if (usable.length === 0) return { scores, notes, range };

  const ts = usable.map((u) => u.t);
  let low = Math.min(...ts);
  let high = Math.max(...ts);
  if (usable.length >= MIN_ROWS_FOR_CLIPPING) {
    const median = quantile(ts, 0.5);
    const mad = quantile(ts.map((t) => Math.abs(t - median)), 0.5);
    if (mad > 0) {
      low = Math.max(low, median - OUTLIER_MAD_K * MAD_TO_SIGMA * mad);
      high = Math.min(high, median + OUTLIER_MAD_K * MAD_TO_SIGMA * mad);
    }
  }
  range.allEqual = high - low <= EQUAL_TOLERANCE * Math.max(1, Math.abs(low), Math.abs(high));
  const [clippedLow, clippedHigh] = [low, high];
  // (The tolerance keeps 0.9 − 0.8, which is 0.0999…98 in binary, from counting as narrower than 0.1.)
  if (high - low < MIN_SPAN[scale] * (1 - 1e-9)) {
    const centre = (low + high) / 2;
    low = centre - MIN_SPAN[scale] / 2;
    high = centre + MIN_SPAN[scale] / 2;
  }
  // Report an unclipped end as the raw value itself (10 ** log10(x) need not give back x exactly).
  const rawAt = (t: number) => usable.find((u) => u.t === t)?.value ?? untransform(t, scale);
  range.low = rawAt(low);
  range.high = rawAt(high);

  for (const { id, t } of usable) {
    if (range.allEqual) {
      scores[id] = EQUAL_VALUES_SCORE;
      continue;
    }
    const clipped = Math.min(clippedHigh, Math.max(clippedLow, t));
    if (clipped !== t) {
      range.clippedRowIds.push(id);
      const end = (t < clippedLow) === (direction === 'higher-is-better') ? 'worst' : 'best';
      notes[id] = `outlier: clipped to the ${end} end of the range`;
    }
    scores[id] = scoreWithin(clipped, low, high, direction);
  }
  return { scores, notes, range };
}
