import { CRITERION_IDS, describeAccuracyPolicy } from './criteria';
import { statusReason } from './extract';
import { normaliseMetric } from './normalise';
import type {
  Criterion, Matrix, MatrixEvaluation, MatrixRow, NormalisationRange, RowEvaluation, RowTier,
} from './types';

/** Totals closer than this are a tie and share a rank. */
export const TIE_TOLERANCE = 1e-9;

const TIER_ORDER: readonly RowTier[] = ['scored', 'below-gate', 'incomplete', 'not-scored', 'pending'];

export interface WeightCheck {
  /** Weights by criterion id after sanitising: negative or non-finite weights count as 0. */
  weights: Record<string, number>;
  sum: number;
  warnings: string[];
}

/** Weights as the totals use them, with a warning for every weight that had to be treated as 0. */
export function checkWeights(criteria: readonly Criterion[]): WeightCheck {
  const weights: Record<string, number> = {};
  const warnings: string[] = [];
  for (const criterion of criteria) {
    if (Object.prototype.hasOwnProperty.call(weights, criterion.id)) {
      warnings.push(`Criterion id “${criterion.id}” appears twice; only the first counts.`);
      continue;
    }
    const ok = typeof criterion.weight === 'number' && Number.isFinite(criterion.weight) && criterion.weight >= 0;
    if (!ok) warnings.push(`Weight of “${criterion.label}” must be a non-negative number; got ${criterion.weight}; counted as 0.`);
    weights[criterion.id] = ok ? criterion.weight : 0;
  }
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  return { weights, sum, warnings };
}

function uniqueCriteria(criteria: readonly Criterion[]): Criterion[] {
  const seen = new Set<string>();
  return criteria.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
}

interface CriterionScores {
  scores: Record<string, number | null>;
  notes: Record<string, string>;
  ranges: NormalisationRange[];
  warnings: string[];
}

/**
 * 1–10 scores of one criterion for every row. Only 'done' rows take part in a measured criterion's normalisation (a
 * failed run's partial figures must not move everyone else's scores). A measured criterion with extra metrics scores the
 * mean of its metrics' scores; an extra metric counts only when every row with the main value has it too, so that all
 * rows are scored on the same basis (otherwise it is left out for everyone, with a warning).
 */
function scoreCriterion(criterion: Criterion, rows: readonly MatrixRow[]): CriterionScores {
  const scores: Record<string, number | null> = {};
  const notes: Record<string, string> = {};
  const warnings: string[] = [];
  const missingNote = (row: MatrixRow, key: string, fallback: string) =>
    row.missing[key] ?? (row.status === 'done' ? fallback : `not scored: ${statusReason(row.status, row.reason)}`);

  if (criterion.kind === 'manual') {
    for (const row of rows) {
      const score = row.manualScores[criterion.id] ?? null;
      if (score === null) {
        scores[row.id] = null;
        notes[row.id] = missingNote(row, criterion.id, 'no manual score yet');
      } else if (!Number.isFinite(score) || score < 1 || score > 10) {
        scores[row.id] = null;
        notes[row.id] = `manual score ${score} is outside 1–10`;
      } else {
        scores[row.id] = score;
      }
    }
    return { scores, notes, ranges: [], warnings };
  }

  const done = rows.filter((row) => row.status === 'done');
  const valueOf = (row: MatrixRow, key: string) => row.values[key] ?? null;
  const withMain = done.filter((row) => valueOf(row, criterion.id) !== null);
  const extras = criterion.extraMetrics.filter((metric) => {
    const have = withMain.filter((row) => valueOf(row, metric.id) !== null).length;
    if (have > 0 && have < withMain.length) {
      warnings.push(`${metric.label} is left out of “${criterion.label}”: measured for ${have} of ${withMain.length} runs.`);
    }
    return withMain.length > 0 && have === withMain.length;
  });
  const metrics = [
    { id: criterion.id, direction: criterion.direction, scale: criterion.scale ?? 'linear' },
    ...extras.map((m) => ({ id: m.id, direction: m.direction, scale: m.scale })),
  ];
  const normalised = metrics.map((metric) => normaliseMetric(
    metric.id, done.map((row) => ({ id: row.id, value: valueOf(row, metric.id) })), metric.direction, metric.scale));

  for (const row of rows) {
    scores[row.id] = null;
    if (row.status !== 'done') {
      notes[row.id] = `not scored: ${statusReason(row.status, row.reason)}`;
      continue;
    }
    const parts = normalised.map((n) => n.scores[row.id] ?? null);
    const rowNotes = normalised.map((n) => n.notes[row.id]).filter((note): note is string => note !== undefined);
    if (parts.some((p) => p === null)) {
      notes[row.id] = rowNotes[0] ?? missingNote(row, criterion.id, 'not measured');
      continue;
    }
    scores[row.id] = (parts as number[]).reduce((a, b) => a + b, 0) / parts.length;
    const provenance = row.notes[criterion.id];
    const all = [...(provenance ? [provenance] : []), ...rowNotes];
    if (all.length) notes[row.id] = all.join('; ');
  }
  return { scores, notes, ranges: normalised.map((n) => n.range), warnings };
}

function tierOf(row: MatrixRow, total: number | null, gate: RowEvaluation['gate']): RowTier {
  if (row.status === 'running' || row.status === 'queued') return 'pending';
  if (row.status !== 'done') return 'not-scored';
  if (total === null) return 'incomplete';
  return gate === 'below' ? 'below-gate' : 'scored';
}

/** Competition ranks ("1, 1, 3") by total, descending; totals within TIE_TOLERANCE of a group's leader tie with it. */
function assignRanks(rows: RowEvaluation[], offset: number): void {
  let leader: RowEvaluation | null = null;
  rows.forEach((row, index) => {
    if (leader !== null && Math.abs(leader.total! - row.total!) <= TIE_TOLERANCE) {
      row.rank = leader.rank;
      row.tied = true;
      leader.tied = true;
    } else {
      leader = row;
      row.rank = offset + index + 1;
    }
  });
}

/**
 * Scores, totals, tiers and ranks of a matrix.
 *
 * Total = Σ weight·score / Σ weight over the criteria with weight > 0. Missing scores: a row lacking a score on any
 * weighted criterion gets total null with the reason, is shown with a flagged partialTotal (renormalised over the
 * criteria it has) and ranked after all complete rows. Renormalising silently would reward a row for the very
 * measurement that is missing (a run whose memory could not be measured would be judged only on what it does well).
 *
 * Ranking order: passing rows by total; rows below the accuracy gate by total (ranks continue); incomplete rows by
 * partial total; then failed/cancelled/oom/over-budget rows and running/queued rows in their input order, each with its
 * reason. Only rows with a total get a rank number. Winners are the rank-1 rows among those passing the gate.
 */
export function evaluateMatrix(matrix: Matrix): MatrixEvaluation {
  const criteria = uniqueCriteria(matrix.criteria);
  const { weights, sum: weightSum, warnings } = checkWeights(matrix.criteria);
  const shares: Record<string, number> = {};
  for (const c of criteria) shares[c.id] = weightSum > 0 ? weights[c.id]! / weightSum : 0;

  const seenRows = new Set<string>();
  for (const row of matrix.rows) {
    if (seenRows.has(row.id)) warnings.push(`Row id “${row.id}” appears twice; rankings refer to rows by id.`);
    seenRows.add(row.id);
  }

  const perCriterion: Record<string, CriterionScores> = {};
  const ranges: Record<string, NormalisationRange[]> = {};
  for (const criterion of criteria) {
    const scored = scoreCriterion(criterion, matrix.rows);
    perCriterion[criterion.id] = scored;
    if (criterion.kind === 'measured') ranges[criterion.id] = scored.ranges;
    warnings.push(...scored.warnings);
  }

  const policy = matrix.accuracyPolicy;
  const weighted = criteria.filter((c) => weights[c.id]! > 0);
  const rows = matrix.rows.map((row): RowEvaluation => {
    const scores: Record<string, number | null> = {};
    const scoreNotes: Record<string, string> = {};
    for (const criterion of criteria) {
      const { scores: s, notes } = perCriterion[criterion.id]!;
      scores[criterion.id] = s[row.id] ?? null;
      const note = notes[row.id];
      if (note !== undefined) scoreNotes[criterion.id] = note;
    }

    let total: number | null = null;
    let partialTotal: number | null = null;
    let missingCriteria: string[] = [];
    let totalReason: string | null = null;
    if (row.status !== 'done') {
      totalReason = `not scored: ${statusReason(row.status, row.reason)}`;
    } else if (weightSum <= 0) {
      totalReason = 'no total: every weight is 0';
    } else {
      const present = weighted.filter((c) => scores[c.id] !== null);
      missingCriteria = weighted.filter((c) => scores[c.id] === null).map((c) => c.id);
      const presentWeight = present.reduce((a, c) => a + weights[c.id]!, 0);
      if (present.length > 0) {
        partialTotal = present.reduce((a, c) => a + weights[c.id]! * scores[c.id]!, 0) / presentWeight;
      }
      if (missingCriteria.length === 0) {
        total = partialTotal;
      } else {
        totalReason = 'no total: missing ' + weighted.filter((c) => scores[c.id] === null)
          .map((c) => `${c.label} (${scoreNotes[c.id] ?? 'no score'})`).join('; ');
      }
    }

    let gate: RowEvaluation['gate'] = 'off';
    if (policy.gate) gate = row.accuracy !== null && row.accuracy > policy.threshold ? 'pass' : 'below';
    return {
      id: row.id, label: row.label, status: row.status, scores, scoreNotes, total, partialTotal, missingCriteria,
      totalReason, gate, tier: tierOf(row, total, gate), rank: null, tied: false,
    };
  });

  const byTotal = (key: 'total' | 'partialTotal') => (a: RowEvaluation, b: RowEvaluation) => {
    const x = a[key];
    const y = b[key];
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    return y - x;
  };
  const ordered: RowEvaluation[] = [];
  let offset = 0;
  for (const tier of TIER_ORDER) {
    // Array.prototype.sort is stable: equal totals keep the matrix's order, so the result is deterministic.
    const inTier = rows.filter((r) => r.tier === tier);
    if (tier === 'scored' || tier === 'below-gate') {
      inTier.sort(byTotal('total'));
      assignRanks(inTier, offset);
      offset += inTier.length;
    } else if (tier === 'incomplete') {
      inTier.sort(byTotal('partialTotal'));
    }
    ordered.push(...inTier);
  }

  const accuracyShare = shares[CRITERION_IDS.accuracy] ?? 0;
  return {
    weightSum,
    shares,
    ranges,
    rows,
    ranking: ordered.map((r) => r.id),
    winners: rows.filter((r) => r.tier === 'scored' && r.rank === 1).map((r) => r.id),
    accuracyPolicyText: describeAccuracyPolicy(policy, accuracyShare),
    warnings,
  };
}
