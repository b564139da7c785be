import type { MeasuredResult, RunEntry } from '../matrix/extract';

/** One configuration measured twice: on the link's machine and on this one. Ratios are this machine ÷ the link's. */
export interface RunComparison {
  id: string;
  label: string;
  theirs: MeasuredResult | null;
  mine: MeasuredResult | null;
  /** Median steady step time, mine ÷ theirs (< 1: faster here). */
  stepTimeRatio: number | null;
  /** True GPU peak, mine ÷ theirs. */
  truePeakRatio: number | null;
  /** Final validation accuracy, mine − theirs, in percentage points. */
  accuracyDeltaPoints: number | null;
}

const ratio = (mine: number | null | undefined, theirs: number | null | undefined): number | null =>
  typeof mine === 'number' && typeof theirs === 'number' && Number.isFinite(mine) && Number.isFinite(theirs) && theirs > 0
    ? mine / theirs : null;

/** Pairs the link's runs with this machine's runs of the same configuration (same id), in the link's order. */
export function compareRuns(theirs: readonly RunEntry[], mine: readonly RunEntry[]): RunComparison[] {
  const mineById = new Map(mine.map((entry) => [entry.id, entry]));
  return theirs.map((entry) => {
    const other = mineById.get(entry.id)?.result ?? null;
    const original = entry.result;
    const accuracy = (r: MeasuredResult | null) => r?.accuracy?.finalValAccuracy ?? null;
    const a = accuracy(other);
    const b = accuracy(original);
    return {
      id: entry.id,
      label: entry.label ?? entry.id,
      theirs: original,
      mine: other,
      stepTimeRatio: ratio(other?.timing.medianStepMs, original?.timing.medianStepMs),
      truePeakRatio: ratio(other?.memory?.truePeakBytes, original?.memory?.truePeakBytes),
      accuracyDeltaPoints: a !== null && b !== null ? (a - b) * 100 : null,
    };
  });
}
