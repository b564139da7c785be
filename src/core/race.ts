/**
 * The race of a sweep: runs ranked by time to target (wall time from the start of training, compilation and validation
 * included, to the first validation at or above the target); runs that never reached it come last, by best accuracy.
 */
import type { BackendName, Engine, RunConfig } from './config';
import type { Environment } from './environment';
import { formatBytes, formatMs, formatPercent } from './format';
import type { RunResult, RunStatus } from './result';

/** The parts of a RunResult the race reads. */
export type RacedResult = Pick<RunResult, 'status' | 'engine'> & {
  config: Pick<RunConfig, 'targetAccuracy'>;
  environment: Pick<Environment, 'backend'>;
  timing: Pick<RunResult['timing'], 'timeToTargetMs' | 'medianStepMs'>;
  /** Absent in results from links that left it out. */
  memory?: Pick<RunResult['memory'], 'truePeakBytes'>;
  accuracy: Pick<RunResult['accuracy'], 'bestValAccuracy'>;
};

export interface RaceEntry {
  id: string;
  label: string;
  result: RacedResult;
}

export interface RaceRow {
  id: string;
  label: string;
  /** Competition rank ("1, 1, 3"): equal times to target, or equal best accuracies among the runs that missed, tie. */
  rank: number;
  timeToTargetMs: number | null;
  targetAccuracy: number;
  bestValAccuracy: number | null;
  /** The most bytes of GPU buffers in use at once (null where the backend gives none, e.g. CPU). */
  truePeakBytes: number | null;
  /** Median steady step time. */
  medianStepMs: number | null;
  /** The kernels that trained: results from before the engine choice all ran tfjs's. */
  engine: Engine;
  backend: BackendName;
  status: RunStatus;
}

function toRow(entry: RaceEntry): Omit<RaceRow, 'rank'> {
  const { result } = entry;
  return {
    id: entry.id,
    label: entry.label,
    timeToTargetMs: result.timing.timeToTargetMs,
    targetAccuracy: result.config.targetAccuracy,
    bestValAccuracy: result.accuracy.bestValAccuracy,
    truePeakBytes: result.memory?.truePeakBytes ?? null,
    medianStepMs: result.timing.medianStepMs,
    engine: result.engine?.ran ?? 'tfjs',
    backend: result.environment.backend,
    status: result.status,
  };
}

/** Reached first, sooner first; then the rest by best accuracy, higher first, none last. 0 = a tie. */
function compare(a: Omit<RaceRow, 'rank'>, b: Omit<RaceRow, 'rank'>): number {
  if (a.timeToTargetMs !== null || b.timeToTargetMs !== null) {
    if (a.timeToTargetMs === null) return 1;
    if (b.timeToTargetMs === null) return -1;
    return a.timeToTargetMs - b.timeToTargetMs;
  }
  return (b.bestValAccuracy ?? -1) - (a.bestValAccuracy ?? -1);
}

/** The race table; entries that compare equal keep their given order. */
export function rankRace(entries: readonly RaceEntry[]): RaceRow[] {
  const sorted = entries.map(toRow).sort(compare);
  const rows: RaceRow[] = [];
  sorted.forEach((row, index) => {
    const previous = rows[index - 1];
    rows.push({ ...row, rank: previous && compare(sorted[index - 1]!, row) === 0 ? previous.rank : index + 1 });
  });
  return rows;
}

/** The target every row raced to, or null when the rows had different targets (or there are none). */
export function commonTarget(rows: readonly RaceRow[]): number | null {
  const targets = new Set(rows.map((row) => row.targetAccuracy));
  return targets.size === 1 ? rows[0]!.targetAccuracy : null;
}

/** The race as plain text, one line per row (npm run race prints it). */
export function formatRaceTable(rows: readonly RaceRow[]): string {
  const header = ['#', 'configuration', 'time to target', 'best accuracy', 'true peak', 'step time', 'engine', 'backend', 'status'];
  const lines = rows.map((row) => [
    String(row.rank), row.label,
    row.timeToTargetMs === null ? `not reached (${formatPercent(row.targetAccuracy)})` : formatMs(row.timeToTargetMs),
    formatPercent(row.bestValAccuracy), formatBytes(row.truePeakBytes), formatMs(row.medianStepMs), row.engine, row.backend, row.status,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  return [header, ...lines].map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
