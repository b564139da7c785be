import { describe, expect, it } from 'vitest';
import { commonTarget, formatRaceTable, rankRace, type RaceEntry, type RacedResult } from '../../src/core/race';

interface Spec {
  timeToTargetMs?: number | null;
  /** Accuracy at each validation (the best of them is what the race reads). */
  accuracies?: number[];
  target?: number;
  status?: RacedResult['status'];
  engine?: 'fused' | 'tfjs' | null;
  backend?: 'webgpu' | 'webgl' | 'cpu';
  truePeakBytes?: number | null;
}

function entry(id: string, spec: Spec = {}): RaceEntry {
  const accuracies = spec.accuracies ?? [0.9];
  const engine = spec.engine === undefined ? 'fused' : spec.engine;
  return {
    id,
    label: `run ${id}`,
    result: {
      status: spec.status ?? 'done',
      ...(engine ? {
        engine: { requested: 'fused', ran: engine, reason: null, stepTimeSource: 'window', dispatchesPerStep: null },
      } : {}),
      config: { targetAccuracy: spec.target ?? 0.97 },
      environment: { backend: spec.backend ?? 'webgpu' },
      timing: { timeToTargetMs: spec.timeToTargetMs ?? null, medianStepMs: 40 },
      memory: { truePeakBytes: spec.truePeakBytes === undefined ? 2 ** 20 : spec.truePeakBytes },
      accuracy: {
        bestValAccuracy: accuracies.length ? Math.max(...accuracies) : null,
      },
    },
  };
}

describe('rankRace', () => {
  it('ranks the runs that reached the target by time, sooner first', () => {
    const rows = rankRace([entry('slow', { timeToTargetMs: 90_000 }), entry('fast', { timeToTargetMs: 30_000 }), entry('mid', { timeToTargetMs: 60_000 })]);
    expect(rows.map((row) => [row.id, row.rank])).toEqual([['fast', 1], ['mid', 2], ['slow', 3]]);
  });

  it('puts the runs that never reached it last, ordered by best accuracy, a run without validation at the end', () => {
    const rows = rankRace([
      entry('none', { accuracies: [] }),
      entry('missed-low', { accuracies: [0.8, 0.85] }),
      entry('reached', { timeToTargetMs: 500_000, accuracies: [0.97] }),
      entry('missed-high', { accuracies: [0.9, 0.96, 0.95] }),
    ]);
    expect(rows.map((row) => row.id)).toEqual(['reached', 'missed-high', 'missed-low', 'none']);
    expect(rows.map((row) => row.rank)).toEqual([1, 2, 3, 4]);
    expect(rows[1]!.bestValAccuracy).toBe(0.96);
    expect(rows[3]!.bestValAccuracy).toBeNull();
  });

  it('gives equal times (and equal best accuracies among the misses) one rank, in competition order', () => {
    const rows = rankRace([
      entry('a', { timeToTargetMs: 10_000 }), entry('b', { timeToTargetMs: 10_000 }), entry('c', { timeToTargetMs: 12_000 }),
      entry('d', { accuracies: [0.9] }), entry('e', { accuracies: [0.9] }),
    ]);
    expect(rows.map((row) => [row.id, row.rank])).toEqual([['a', 1], ['b', 1], ['c', 3], ['d', 4], ['e', 4]]);
  });

  it('carries the true peak, step time, engine, backend, and status beside the time', () => {
    const [row] = rankRace([entry('x', {
      timeToTargetMs: 2000, accuracies: [0.95, 0.975], backend: 'webgl', engine: 'tfjs', status: 'cancelled', truePeakBytes: null,
    })]);
    expect(row).toEqual({
      id: 'x', label: 'run x', rank: 1, timeToTargetMs: 2000, targetAccuracy: 0.97, bestValAccuracy: 0.975, truePeakBytes: null,
      medianStepMs: 40, engine: 'tfjs', backend: 'webgl', status: 'cancelled',
    });
  });

  it('reads a result from before the engine choice as trained by tfjs', () => {
    expect(rankRace([entry('old', { engine: null })])[0]!.engine).toBe('tfjs');
  });

  it('ranks nothing when there is nothing', () => {
    expect(rankRace([])).toEqual([]);
  });
});

describe('commonTarget', () => {
  it('is the shared target, or null when the targets differ or there are no rows', () => {
    expect(commonTarget(rankRace([entry('a'), entry('b')]))).toBe(0.97);
    expect(commonTarget(rankRace([entry('a'), entry('b', { target: 0.9 })]))).toBeNull();
    expect(commonTarget([])).toBeNull();
  });
});

describe('formatRaceTable', () => {
  it('prints one aligned line per row with the time or what was missed', () => {
    const text = formatRaceTable(rankRace([entry('a', { timeToTargetMs: 42_500, accuracies: [0.971] }), entry('b', { accuracies: [0.95] })]));
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^#\s+configuration\s+time to target\s+best accuracy\s+true peak\s+step time\s+engine\s+backend\s+status$/);
    expect(lines[1]).toMatch(/^1\s+run a\s+42\.5 s\s+97\.1 %\s+1 MiB\s+40 ms\s+fused\s+webgpu\s+done$/);
    expect(lines[2]).toMatch(/^2\s+run b\s+not reached \(97 %\)\s+95 %/);
    // Columns line up: the time column starts at the same offset on every line.
    expect(lines[1]!.indexOf('42.5 s')).toBe(lines[0]!.indexOf('time to target'));
  });
});
