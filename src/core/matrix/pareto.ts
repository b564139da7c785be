import { CRITERION_IDS } from './criteria';
import type { Matrix } from './types';

/** One candidate on the time/memory plane; both lower is better. Accuracy colours the point. */
export interface ParetoPoint {
  id: string;
  time: number | null;
  memory: number | null;
  accuracy: number | null;
}

export interface ParetoOptions {
  /** When true, accuracy (higher is better) is a third objective in dominance; by default it only colours the point. */
  useAccuracy?: boolean;
}

export interface ParetoResult {
  /** Non-dominated points, in input order. Equal points do not dominate each other, so duplicates are all on the front. */
  front: string[];
  /** Dominated points with the front or non-front points that dominate them, in input order. */
  dominated: { id: string; dominatedBy: string[] }[];
  /** Points that could not be placed, with the reason. */
  excluded: { id: string; reason: string }[];
}

const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);

/** a dominates b: no worse on every objective and strictly better on at least one. */
function dominates(a: ParetoPoint, b: ParetoPoint, useAccuracy: boolean): boolean {
  const noWorse = a.time! <= b.time! && a.memory! <= b.memory! && (!useAccuracy || a.accuracy! >= b.accuracy!);
  const better = a.time! < b.time! || a.memory! < b.memory! || (useAccuracy && a.accuracy! > b.accuracy!);
  return noWorse && better;
}

export function paretoFront(points: readonly ParetoPoint[], options: ParetoOptions = {}): ParetoResult {
  const useAccuracy = options.useAccuracy ?? false;
  const excluded: ParetoResult['excluded'] = [];
  const placed = points.filter((point) => {
    const missing = [
      ...(finite(point.time) ? [] : ['time']),
      ...(finite(point.memory) ? [] : ['memory']),
      ...(useAccuracy && !finite(point.accuracy) ? ['accuracy'] : []),
    ];
    if (missing.length) excluded.push({ id: point.id, reason: `no ${missing.join(' or ')} value` });
    return missing.length === 0;
  });
  const front: string[] = [];
  const dominated: ParetoResult['dominated'] = [];
  for (const point of placed) {
    const by = placed.filter((other) => other !== point && dominates(other, point, useAccuracy)).map((o) => o.id);
    if (by.length) dominated.push({ id: point.id, dominatedBy: by });
    else front.push(point.id);
  }
  return { front, dominated, excluded };
}

/**
 * Pareto points of a matrix's finished rows: time = the speed criterion's raw value (ms to target, or its flagged
 * equivalent), memory = the memory criterion's raw value (bytes).
 */
export function paretoPointsFromMatrix(
  matrix: Matrix, timeCriterion: string = CRITERION_IDS.speed, memoryCriterion: string = CRITERION_IDS.memory,
): ParetoPoint[] {
  return matrix.rows.filter((row) => row.status === 'done').map((row) => ({
    id: row.id,
    time: row.values[timeCriterion] ?? null,
    memory: row.values[memoryCriterion] ?? null,
    accuracy: row.accuracy,
  }));
}
