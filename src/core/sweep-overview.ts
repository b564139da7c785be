/**
 * The whole sweep at a glance: how far it is and how long it still takes, every run's validation curve on shared x
 * values, and the configuration axes against wall time, true peak and accuracy.
 */
import type { RunConfig } from './config';
import type { UserDatasetSummary } from './data/user-import';
import { formatBytes, formatMs, formatPercent } from './format';
import { memoryScale, roundScale, type RoundScale } from './memory-breakdown';
import type { RowStatus } from './matrix';
import type { RunResult } from './result';
import { SWEEP_AXES, estimateSweepMs, type SweepAxis, type SweepCandidate } from './sweep';

/** One sweep row as the overview reads it; wallMs: from its worker's start to its end (null until it ended). */
export interface OverviewRow {
  candidate: SweepCandidate;
  status: RowStatus;
  result: RunResult | null;
  wallMs: number | null;
}

export interface SweepProgress {
  /** The running row's number among the rows that ran or will run (null when none runs). */
  runNumber: number | null;
  total: number;
  ended: number;
  /** The queued and running rows' estimated wall time, corrected by how the ended runs compared with theirs. */
  remainingMs: number | null;
}

const pending = (status: RowStatus) => status === 'queued' || status === 'running';

/**
 * Progress and time left. The estimate (estimateSweepMs: FLOPs at the throughput of the finished run most like each
 * pending row, plus a fixed start-up) is scaled by how the finished runs' measured wall time compares with their
 * estimate at their own throughput, which takes in what the estimate leaves out (this machine's real start-up,
 * compilation, validation). Rows cancelled before they started are not counted; after the sweep nothing is estimated.
 */
export function sweepProgress(rows: readonly OverviewRow[], isSoftwareAdapter: boolean, userDatasets: readonly UserDatasetSummary[] = []): SweepProgress {
  const counted = rows.filter((row) => pending(row.status) || row.result !== null || row.status !== 'cancelled');
  const waiting = counted.filter((row) => pending(row.status));
  const runningAt = counted.findIndex((row) => row.status === 'running');
  const progress = { runNumber: runningAt < 0 ? null : runningAt + 1, total: counted.length, ended: counted.length - waiting.length };
  if (waiting.length === 0) return { ...progress, remainingMs: 0 };
  const finished = counted.flatMap((row) => (row.result && !pending(row.status) ? [row.result] : []));
  const remaining = estimateSweepMs(waiting.map((row) => row.candidate), finished, isSoftwareAdapter, userDatasets);
  // Each finished run against its own throughput: linear in the runs, where matching every run to every other is not.
  let measuredMs = 0;
  let estimatedMs = 0;
  for (const row of counted) {
    if (row.result?.status !== 'done' || row.wallMs === null || pending(row.status)) continue;
    const own = estimateSweepMs([row.candidate], [row.result], isSoftwareAdapter, userDatasets);
    if (!own) continue;
    measuredMs += row.wallMs;
    estimatedMs += own.totalMs;
  }
  const correction = estimatedMs > 0 && measuredMs > 0 ? measuredMs / estimatedMs : 1;
  return { ...progress, remainingMs: remaining ? remaining.totalMs * correction : null };
}

/** Validation curves of several runs on one x axis: the union of their x values, null where a run has no point. */
export interface OverlaidCurves {
  x: number[];
  series: { id: string; label: string; values: (number | null)[] }[];
}

export type CurveAxis = 'step' | 'seconds';

/**
 * Every run's validation accuracy against optimizer steps or seconds of training (validation included). A record
 * without a step (results from before validation cadence) sits at its epoch's end.
 */
export function overlaidCurves(
  runs: readonly { id: string; label: string; result: Pick<RunResult, 'accuracy' | 'data'> }[], axis: CurveAxis,
): OverlaidCurves {
  const points = runs.map(({ result }) => result.accuracy.curve.map((record) => ({
    x: axis === 'step' ? record.step ?? record.epoch * result.data.stepsPerEpoch : record.elapsedMs / 1000,
    y: record.valAccuracy,
  })));
  const x = [...new Set(points.flat().map((p) => p.x))].sort((a, b) => a - b);
  const index = new Map(x.map((value, i) => [value, i]));
  const series = runs.map(({ id, label }, r) => {
    const values: (number | null)[] = x.map(() => null);
    for (const point of points[r]!) values[index.get(point.x)!] = point.y;
    return { id, label, values };
  });
  return { x, series };
}

/** The figures a run is plotted against, each with the axis it is plotted on. */
export const OUTCOMES = {
  wallTime: {
    label: 'wall time (training + validation)', value: (r: RunResult) => r.timing.totalMs, format: formatMs,
    scale: (largest: number) => roundScale(largest, [60_000, 1000, 1], formatMs, 1000),
  },
  truePeak: { label: 'true GPU peak', value: (r: RunResult) => r.memory.truePeakBytes, format: formatBytes, scale: memoryScale },
  accuracy: {
    label: 'final validation accuracy', value: (r: RunResult) => r.accuracy.finalValAccuracy, format: formatPercent,
    scale: () => roundScale(1, [1], formatPercent, 1),
  },
} as const;
export type Outcome = keyof typeof OUTCOMES;

/** The sweep axes whose value differs between the runs (the ones worth plotting against). */
export function variedAxes(configs: readonly RunConfig[]): SweepAxis[] {
  return SWEEP_AXES.filter((axis) => new Set(configs.map((c) => String(c[axis]))).size > 1);
}

export interface ScatterPanel {
  outcome: Outcome;
  /** Axis values in order (numbers ascending), each with its position across the panel (0–1). */
  categories: { text: string; at: number }[];
  /** 0 to a round top (accuracy: 0–100 %), as fractions up the panel. */
  ticks: RoundScale['ticks'];
  points: { id: string; number: number; x: number; y: number; text: string }[];
  /** Runs without this figure (e.g. no true peak on the CPU backend), by number. */
  missing: number[];
}

/**
 * One small scatter: a configuration axis (categories, evenly spaced) against an outcome (linear from 0 to a round top;
 * accuracy 0–100 %). Runs that share a category are spread a little sideways so none hides another; `number` is the run's
 * 1-based position in `runs`, which the points show and the table lists.
 */
export function scatterPanel(runs: readonly { id: string; result: RunResult }[], axis: SweepAxis, outcome: Outcome): ScatterPanel {
  const { value, format, scale } = OUTCOMES[outcome];
  const raw = [...new Set(runs.map((r) => r.result.config[axis]))];
  const numeric = raw.every((v) => typeof v === 'number');
  const values = numeric ? (raw as number[]).sort((a, b) => a - b) : raw;
  const categories = values.map((v, i) => ({ text: String(v), at: (i + 0.5) / values.length }));
  const figures = runs.map((r) => value(r.result));
  const { top, ticks } = scale(Math.max(0, ...figures.filter((f): f is number => f !== null)));
  const perCategory = new Map<string, number>();
  const shares = new Map<string, number>();
  for (const r of runs) shares.set(String(r.result.config[axis]), (shares.get(String(r.result.config[axis])) ?? 0) + 1);
  const points: ScatterPanel['points'] = [];
  const missing: number[] = [];
  runs.forEach((run, i) => {
    const figure = figures[i];
    if (figure === null || figure === undefined || !Number.isFinite(figure)) {
      missing.push(i + 1);
      return;
    }
    const key = String(run.result.config[axis]);
    const slot = perCategory.get(key) ?? 0;
    perCategory.set(key, slot + 1);
    const width = 0.6 / values.length;
    const spread = shares.get(key)! > 1 ? (slot / (shares.get(key)! - 1) - 0.5) * width : 0;
    points.push({ id: run.id, number: i + 1, x: categories[values.indexOf(run.result.config[axis])]!.at + spread, y: figure / top, text: format(figure) });
  });
  return { outcome, categories, ticks, points, missing };
}
