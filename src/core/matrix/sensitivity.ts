import { TIE_TOLERANCE, checkWeights, evaluateMatrix } from './evaluate';
import type { Matrix, MatrixEvaluation } from './types';

/** Where moving one weight changes the winner. Shares are percentages of the weight sum. */
export interface WeightFlip {
  /** How far the criterion's share must move, in percentage points (0 when the current winners are tied and split). */
  deltaPoints: number;
  /** The criterion's share at the flip, percent. */
  shareAtFlip: number;
  /** The raw weight giving that share with every other weight unchanged; null when only an infinite weight would. */
  weightAtFlip: number | null;
  /** Winner(s) just past the flip (several when they tie there). */
  newWinners: string[];
}

export interface WeightSensitivity {
  criterionId: string;
  label: string;
  /** Current raw weight and its share of the sum (percent). */
  weight: number;
  share: number;
  /** Raising the weight: the first change of winner, or null when none happens up to a 100 % share. */
  up: WeightFlip | null;
  /** Lowering the weight: the first change of winner, or null when none happens down to 0 %. */
  down: WeightFlip | null;
  /** Why up/down could not be computed, or which rows were left out; null when there is nothing to say. */
  note: string | null;
}

const POINT_TOLERANCE = 1e-12;

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/**
 * "What would flip the winner": for each criterion, how far its weight must move before the winner(s) change.
 *
 * Moving one weight while holding every other weight fixed keeps the others' relative proportions, so "hold the others'
 * proportions" and "hold the others fixed and renormalise" are the same move; distances are reported as percentage
 * points of the criterion's share of the weight sum (which equal raw points when the weights sum to 100), plus the raw
 * weight that would do it.
 *
 * Exact, not scanned: with p the criterion's share, row r's total is T_r(p) = p·s_r + (1 − p)·R_r, where s_r is its score
 * on the criterion and R_r its total over the other weighted criteria. Each pair of rows with different slopes crosses
 * once, at p* = (R_b − R_a) / ((s_a − R_a) − (s_b − R_b)). The winner set can only change where a line crosses a
 * winner's line, so it is constant between consecutive such crossings and evaluated once per interval (at the midpoint)
 * and at the end point (0 or 100 %). The flip is the first crossing after which the winner set differs from the current
 * one — becoming tied counts as a change.
 *
 * Rows compete if they pass the gate and have a total (the tier winners come from). Rows without a score on the
 * criterion are left out (they would lose their total as soon as it had weight), and it is said in the note.
 */
export function weightSensitivity(matrix: Matrix, evaluation: MatrixEvaluation = evaluateMatrix(matrix)): WeightSensitivity[] {
  const { weights, sum } = checkWeights(matrix.criteria);
  const winners = evaluation.winners;
  const competitors = evaluation.rows.filter((row) => row.tier === 'scored');
  const seen = new Set<string>();
  const criteria = matrix.criteria.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));

  return criteria.map((criterion): WeightSensitivity => {
    const weight = weights[criterion.id]!;
    const base = { criterionId: criterion.id, label: criterion.label, weight, share: sum > 0 ? (weight / sum) * 100 : 0 };
    const empty = (note: string): WeightSensitivity => ({ ...base, up: null, down: null, note });
    if (winners.length === 0) return empty('No configuration passes the gate with a total: there is no winner to flip.');

    const others = criteria.filter((c) => c.id !== criterion.id && weights[c.id]! > 0);
    const othersWeight = sum - weight;
    if (winners.some((id) => competitors.find((r) => r.id === id)!.scores[criterion.id] === null)) {
      return empty(`A winner has no score on “${criterion.label}”: giving it weight would leave that row without a total.`);
    }
    const rows = competitors.filter((r) => r.scores[criterion.id] !== null);
    const leftOut = competitors.length - rows.length;
    const note = leftOut > 0 ? `${leftOut} row(s) without a score on “${criterion.label}” are left out.` : null;

    if (othersWeight <= 0) {
      // Every other weight is 0: the totals are this criterion alone at any positive weight, and lowering it to 0
      // leaves nothing to rank by.
      return { ...base, up: null, down: null, note: 'No other criterion has weight: moving this one cannot change the order.' };
    }

    const lines = rows.map((r) => {
      const rest = others.reduce((acc, c) => acc + weights[c.id]! * r.scores[c.id]!, 0) / othersWeight;
      return { id: r.id, score: r.scores[criterion.id]!, rest };
    });
    const totalAt = (p: number, line: { score: number; rest: number }) => p * line.score + (1 - p) * line.rest;
    const winnersAt = (p: number): string[] => {
      const totals = lines.map((line) => totalAt(p, line));
      const best = Math.max(...totals);
      return lines.filter((_, i) => best - totals[i]! <= TIE_TOLERANCE).map((line) => line.id);
    };

    const p0 = weight / sum;
    // Until some line crosses a winner's line, every winner stays on top: only those crossings can change the winners
    // (O(winners × rows) instead of every pair, and no needless intervals squeezed between other rows' crossings).
    const winnerLines = lines.filter((line) => winners.includes(line.id));
    const crossings: number[] = [];
    for (const A of winnerLines) {
      for (const B of lines) {
        if (B === A) continue;
        const slopeGap = (A.score - A.rest) - (B.score - B.rest);
        if (Math.abs(slopeGap) <= POINT_TOLERANCE) continue;
        const p = (B.rest - A.rest) / slopeGap;
        if (p >= 0 && p <= 1) crossings.push(p);
      }
    }

    const flipAt = (p: number, after: string[]): WeightFlip => ({
      deltaPoints: Math.abs(p - p0) * 100,
      shareAtFlip: p * 100,
      weightAtFlip: p >= 1 ? null : (p * othersWeight) / (1 - p),
      newWinners: after,
    });
    /** Walks from p0 towards end (0 or 1), interval by interval, and returns the first change of winners. */
    const walk = (end: 0 | 1): WeightFlip | null => {
      if (Math.abs(end - p0) <= POINT_TOLERANCE) return null;
      const ahead = (p: number) => (end === 1 ? p > p0 + POINT_TOLERANCE : p < p0 - POINT_TOLERANCE);
      const points = [...new Set(crossings.filter(ahead))].sort((x, y) => (end === 1 ? x - y : y - x));
      let previous = p0;
      for (const point of [...points, end]) {
        const between = winnersAt((previous + point) / 2);
        if (!sameSet(between, winners)) return flipAt(previous, between);
        previous = point;
      }
      const atEnd = winnersAt(end);
      return sameSet(atEnd, winners) ? null : flipAt(end, atEnd);
    };

    return { ...base, up: walk(1), down: walk(0), note };
  });
}
