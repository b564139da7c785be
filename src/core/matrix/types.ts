/**
 * Types of the decision matrix. Everything here is a plain JSON value (strings, finite numbers, null, arrays,
 * records): a matrix and its evaluation go unchanged into history, links and exports.
 */

export type Direction = 'higher-is-better' | 'lower-is-better';
export type Scale = 'log' | 'linear';

/** A secondary metric folded into a measured criterion's score (e.g. inference latency inside "deployment"). */
export interface ExtraMetric {
  /** Key of the raw value in MatrixRow.values. */
  id: string;
  label: string;
  unit: string;
  direction: Direction;
  scale: Scale;
}

export interface Criterion {
  id: string;
  label: string;
  /**
   * A percentage or any non-negative number: totals divide by the sum of the weights, so 30/25/20/15/10 and
   * 0.3/0.25/0.2/0.15/0.1 rank identically. The UI shows the sum.
   */
  weight: number;
  /** measured: a raw value from the run, turned into 1–10 by normalisation; manual: a 1–10 score someone gave. */
  kind: 'measured' | 'manual';
  /** Direction of the raw value (manual scores are always higher-is-better). */
  direction: Direction;
  /** How raw values are spaced before normalisation; null for manual criteria. */
  scale: Scale | null;
  /** Unit of the raw value ('bytes', 'ms', 'fraction', 'score'). */
  unit: string;
  /** One or two sentences for the UI: what is measured and how it becomes a score. */
  explanation: string;
  /** Further raw metrics averaged into this criterion's score (measured only); see normaliseCriterion. */
  extraMetrics: ExtraMetric[];
}

export type RowStatus = 'done' | 'failed' | 'cancelled' | 'over-budget' | 'oom' | 'running' | 'queued';
export const ROW_STATUSES: readonly RowStatus[] = ['done', 'failed', 'cancelled', 'over-budget', 'oom', 'running', 'queued'];

export interface MatrixRow {
  id: string;
  label: string;
  status: RowStatus;
  /** Why the row is not 'done' (or anything else worth saying about the run); null when there is nothing to say. */
  reason: string | null;
  /** Architecture name (e.g. 'cnn-small'); keys per-architecture manual scores such as community. Null when unknown. */
  architecture: string | null;
  /** Final validation accuracy (0..1), read by the accuracy gate; null when none was measured. */
  accuracy: number | null;
  /** Raw measured values keyed by criterion id (and by ExtraMetric id); null = not measured. */
  values: Record<string, number | null>;
  /** Manual 1–10 scores keyed by criterion id; null = nobody scored it yet. */
  manualScores: Record<string, number | null>;
  /** Why a value or manual score is missing, keyed like values/manualScores. Every null has an entry. */
  missing: Record<string, string>;
  /** Where a value comes from when that matters (e.g. "analytic estimate, not a measured peak"). */
  notes: Record<string, string>;
}

export interface AccuracyPolicy {
  /** When true, rows whose final validation accuracy is not above the threshold are ranked after every passing row. */
  gate: boolean;
  /** Success means accuracy > threshold (strictly), as in the quick-validation recipe (> 0.5). */
  threshold: number;
}

export interface Matrix {
  criteria: Criterion[];
  rows: MatrixRow[];
  accuracyPolicy: AccuracyPolicy;
  /** Things the UI should say about the whole matrix (e.g. rows were trained to different targets). */
  notes: string[];
}

/** How a measured criterion (or one of its metrics) was mapped onto 1–10; null fields when nothing was scored. */
export interface NormalisationRange {
  metricId: string;
  /** Ends of the scoring range in raw units, after outlier clipping and widening to the minimum span (the better end scores 10, the other 1). */
  low: number | null;
  high: number | null;
  /** Rows whose value lay outside [low, high] and were clipped to it. */
  clippedRowIds: string[];
  /** True when every scored row had the same value (each then scores EQUAL_VALUES_SCORE). */
  allEqual: boolean;
  /** Number of rows that took part. */
  count: number;
}

export type RowTier = 'scored' | 'below-gate' | 'incomplete' | 'not-scored' | 'pending';

export interface RowEvaluation {
  id: string;
  label: string;
  status: RowStatus;
  /** 1–10 per criterion id; null with a reason in scoreNotes. */
  scores: Record<string, number | null>;
  /** Why a score is null, or how it was obtained when that matters (clipped outlier, estimate, ...). */
  scoreNotes: Record<string, string>;
  /** Σ weight·score / Σ weight over criteria with weight > 0; null when any of them lacks a score (see partialTotal). */
  total: number | null;
  /** The same sum renormalised over the weighted criteria that do have a score; shown flagged, never ranked on. */
  partialTotal: number | null;
  /** Weighted criteria without a score (the reason total is null). */
  missingCriteria: string[];
  /** Why total is null; null when it is not. */
  totalReason: string | null;
  /** 'pass' / 'below' when the gate is on; 'off' otherwise. */
  gate: 'pass' | 'below' | 'off';
  tier: RowTier;
  /** Competition rank ("1, 1, 3"); null for rows without a total. */
  rank: number | null;
  /** True when another row shares this rank (totals within TIE_TOLERANCE). */
  tied: boolean;
}

export interface MatrixEvaluation {
  /** Sum of the (non-negative) weights, as the UI shows it. */
  weightSum: number;
  /** Each criterion's share of the weight sum, 0..1 (all 0 when the sum is 0). */
  shares: Record<string, number>;
  /** Normalisation ranges per measured criterion id, one entry per metric it uses. */
  ranges: Record<string, NormalisationRange[]>;
  /** Rows in the matrix's order. */
  rows: RowEvaluation[];
  /** Row ids in display order: scored, below gate, incomplete, not scored, pending; by total within a tier. */
  ranking: string[];
  /** Rows ranked 1 among those that pass the gate (several when tied); empty when none passes. */
  winners: string[];
  /** Human-readable explanation of how final accuracy enters the ranking. */
  accuracyPolicyText: string;
  /** Problems with the inputs that were worked around (negative weights, duplicate ids, ...). */
  warnings: string[];
}
