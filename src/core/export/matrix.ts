/**
 * The decision matrix as CSV, JSON and Markdown. Rows come in ranking order with their rank, label, status, each
 * criterion's score and raw value, the total, and — for merged result links — where they were measured.
 */
import type { Criterion, Matrix, MatrixEvaluation, MatrixRow, RowEvaluation } from '../matrix/types';
import { formatPercent, formatScore, formatTotal, formatValue } from '../format';
import { escapeMarkdown, markdownTable, toCsv } from './text';

export interface MatrixExportOptions {
  /** Where each row was measured, by row id (e.g. from mergeResultLinks): adds an Environment column. */
  environments?: ReadonlyMap<string, string>;
}

interface ExportRow {
  row: MatrixRow;
  evaluation: RowEvaluation;
  environment: string | null;
}

/** Criteria as the evaluation used them: the first of each id. */
function uniqueCriteria(matrix: Matrix): Criterion[] {
  const seen = new Set<string>();
  return matrix.criteria.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
}

function rowsInRankingOrder(matrix: Matrix, evaluation: MatrixEvaluation, options: MatrixExportOptions): ExportRow[] {
  return evaluation.ranking.flatMap((id) => {
    const row = matrix.rows.find((r) => r.id === id);
    const rowEvaluation = evaluation.rows.find((r) => r.id === id);
    if (!row || !rowEvaluation) return [];
    return [{ row, evaluation: rowEvaluation, environment: options.environments?.get(id) ?? null }];
  });
}

const hasEnvironments = (rows: readonly ExportRow[]) => rows.some((r) => r.environment !== null);

/** The raw value behind a score: the measurement for a measured criterion, the given score for a manual one. */
function rawValue(row: MatrixRow, criterion: Criterion): number | null {
  const value = criterion.kind === 'manual' ? row.manualScores[criterion.id] : row.values[criterion.id];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Why a row has no total, or what else a reader should know about its place in the ranking. */
function rowNote({ evaluation }: ExportRow): string {
  const notes: string[] = [];
  if (evaluation.tied) notes.push('tied');
  if (evaluation.status === 'done' && evaluation.gate === 'below') notes.push('below the accuracy gate');
  if (evaluation.totalReason) notes.push(evaluation.totalReason);
  if (evaluation.total === null && evaluation.partialTotal !== null) {
    notes.push(`partial total ${formatTotal(evaluation.partialTotal)} (not ranked)`);
  }
  return notes.join('; ');
}

const SCORE_DIGITS = 4;
const round = (value: number | null) => (value === null ? null : Number(value.toFixed(SCORE_DIGITS)));

export function matrixToCsv(matrix: Matrix, evaluation: MatrixEvaluation, options: MatrixExportOptions = {}): string {
  const criteria = uniqueCriteria(matrix);
  const rows = rowsInRankingOrder(matrix, evaluation, options);
  const withEnvironment = hasEnvironments(rows);
  const header = [
    'Rank', 'Configuration', 'Status', ...(withEnvironment ? ['Environment'] : []),
    ...criteria.flatMap((c) => [`${c.label} score`, ...(c.kind === 'measured' ? [`${c.label} raw (${c.unit})`] : [])]),
    'Total', 'Note',
  ];
  const records = rows.map((r) => [
    r.evaluation.rank, r.row.label, r.row.status, ...(withEnvironment ? [r.environment] : []),
    ...criteria.flatMap((c) => [
      round(r.evaluation.scores[c.id] ?? null), ...(c.kind === 'measured' ? [rawValue(r.row, c)] : []),
    ]),
    round(r.evaluation.total), rowNote(r),
  ]);
  return toCsv([header, ...records]);
}

export function matrixToMarkdown(matrix: Matrix, evaluation: MatrixEvaluation, options: MatrixExportOptions = {}): string {
  const criteria = uniqueCriteria(matrix);
  const rows = rowsInRankingOrder(matrix, evaluation, options);
  const withEnvironment = hasEnvironments(rows);
  const header = [
    'Rank', 'Configuration', 'Status', ...(withEnvironment ? ['Environment'] : []),
    ...criteria.map((c) => `${escapeMarkdown(c.label)} (${formatPercent(evaluation.shares[c.id] ?? 0)})`),
    'Total', 'Note',
  ];
  const cell = (row: ExportRow, criterion: Criterion) => {
    const score = row.evaluation.scores[criterion.id] ?? null;
    const raw = criterion.kind === 'measured' ? rawValue(row.row, criterion) : null;
    const shownScore = formatScore(score);
    return raw === null ? shownScore : `${shownScore} (${formatValue(raw, criterion.unit)})`;
  };
  const body = rows.map((r) => [
    r.evaluation.rank === null ? '—' : String(r.evaluation.rank),
    escapeMarkdown(r.row.label),
    r.row.status,
    ...(withEnvironment ? [escapeMarkdown(r.environment ?? '—')] : []),
    ...criteria.map((c) => cell(r, c)),
    r.evaluation.total === null ? '—' : `**${formatTotal(r.evaluation.total)}**`,
    escapeMarkdown(rowNote(r)),
  ]);
  return markdownTable(header, body);
}

/** The matrix, its evaluation and its ranking as one plain JSON document (values unrounded). */
export function matrixToJson(matrix: Matrix, evaluation: MatrixEvaluation, options: MatrixExportOptions = {}): string {
  const criteria = uniqueCriteria(matrix);
  const rows = rowsInRankingOrder(matrix, evaluation, options);
  const document = {
    format: 'webgpu-training-playground/decision-matrix',
    version: 1,
    criteria: criteria.map((c) => ({
      id: c.id, label: c.label, kind: c.kind, unit: c.unit, direction: c.direction, weight: c.weight,
      share: evaluation.shares[c.id] ?? 0,
    })),
    accuracyPolicy: { ...matrix.accuracyPolicy, text: evaluation.accuracyPolicyText },
    rows: rows.map((r) => ({
      rank: r.evaluation.rank,
      tied: r.evaluation.tied,
      id: r.row.id,
      label: r.row.label,
      status: r.row.status,
      reason: r.row.reason,
      ...(r.environment !== null ? { environment: r.environment } : {}),
      tier: r.evaluation.tier,
      gate: r.evaluation.gate,
      total: r.evaluation.total,
      partialTotal: r.evaluation.partialTotal,
      totalReason: r.evaluation.totalReason,
      criteria: criteria.map((c) => ({
        id: c.id,
        score: r.evaluation.scores[c.id] ?? null,
        value: rawValue(r.row, c),
        note: r.evaluation.scoreNotes[c.id] ?? null,
      })),
    })),
    winners: evaluation.winners,
    notes: matrix.notes,
    warnings: evaluation.warnings,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
