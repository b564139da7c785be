import { describe, expect, it } from 'vitest';
import type { MeasuredResult, RunEntry } from '../../src/core/matrix';
import { compareRuns } from '../../src/core/share';

const run = (id: string, medianStepMs: number | null, truePeakBytes: number | null, accuracy: number | null): RunEntry => ({
  id, label: id,
  result: {
    timing: { medianStepMs }, memory: { truePeakBytes }, accuracy: { finalValAccuracy: accuracy },
  } as unknown as MeasuredResult,
});

describe('comparing a link’s results with a re-run on this machine', () => {
  it('pairs runs by configuration id and gives ratios mine ÷ theirs and the accuracy difference', () => {
    const theirs = [run('a', 100, 2e6, 0.9), run('b', 50, 1e6, 0.8), run('gone', 10, 1e6, 0.5)];
    const mine = [run('b', 25, 1.5e6, 0.85), run('a', 400, 2e6, 0.9)];
    const rows = compareRuns(theirs, mine);
    expect(rows.map((r) => [r.id, r.stepTimeRatio, r.truePeakRatio])).toEqual([['a', 4, 1], ['b', 0.5, 1.5], ['gone', null, null]]);
    expect(rows[1]!.accuracyDeltaPoints).toBeCloseTo(5, 12);
    expect(rows[2]!.mine).toBeNull();
  });

  it('gives no ratio when either side was not measured', () => {
    const [row] = compareRuns([run('a', null, 0, null)], [run('a', 10, 5, 0.5)]);
    expect([row!.stepTimeRatio, row!.truePeakRatio, row!.accuracyDeltaPoints]).toEqual([null, null, null]);
  });
});
