/** The sweep overview's logic: progress and time left, overlaid validation curves, axis-against-outcome scatters. */
import { describe, expect, it } from 'vitest';
import { defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { EpochRecord, RunResult } from '../../src/core/result';
import { estimateSweepMs, expandSweep, quickValidationSweep } from '../../src/core/sweep';
import { overlaidCurves, scatterPanel, sweepProgress, variedAxes, type OverviewRow } from '../../src/core/sweep-overview';

interface Measured {
  curve?: EpochRecord[];
  totalMs?: number;
  truePeakBytes?: number | null;
  finalValAccuracy?: number | null;
  samplesPerSec?: number;
}

/** The parts of a RunResult the overview reads; the rest of the object is not looked at. */
function result(config: RunConfig, m: Measured = {}): RunResult {
  return {
    status: 'done', config, environment: { backend: 'webgpu' },
    data: { stepsPerEpoch: 10 },
    timing: { samplesPerSec: m.samplesPerSec ?? 400, totalMs: m.totalMs ?? 5000 },
    memory: { truePeakBytes: m.truePeakBytes === undefined ? 2 ** 20 : m.truePeakBytes },
    accuracy: { curve: m.curve ?? [], finalValAccuracy: m.finalValAccuracy === undefined ? 0.8 : m.finalValAccuracy },
  } as unknown as RunResult;
}

const spec = quickValidationSweep();
spec.axes.batchSize = [32, 64];
const candidates = expandSweep(spec).candidates; // 3 models × 2 batch sizes

function rows(statuses: OverviewRow['status'][], wallMs = 20_000): OverviewRow[] {
  return candidates.map((candidate, i) => {
    const status = statuses[i] ?? 'queued';
    const ran = status !== 'queued' && status !== 'running' && status !== 'cancelled';
    return { candidate, status, result: ran ? result(candidate.config) : null, wallMs: ran ? wallMs : null };
  });
}

describe('sweepProgress', () => {
  it('before any run ends: run 1 of all, time left = the whole estimate at the assumed throughput', () => {
    const progress = sweepProgress(rows(['running']), true);
    expect(progress).toMatchObject({ runNumber: 1, total: candidates.length, ended: 0 });
    expect(progress.remainingMs).toBe(estimateSweepMs(candidates, [], true)!.totalMs);
  });

  it('scales the remaining estimate by how long the ended runs really took against their own estimate', () => {
    const statuses: OverviewRow['status'][] = ['done', 'done', 'running'];
    const quick = sweepProgress(rows(statuses, 1000), true).remainingMs!;
    const slow = sweepProgress(rows(statuses, 3000), true).remainingMs!;
    expect(slow / quick).toBeCloseTo(3, 9);
    // The measured throughput of the ended runs replaces the assumption for the rest; each ended run is compared with
    // its estimate at its own throughput.
    const ended = rows(statuses).slice(0, 2);
    const ownEstimate = ended.reduce((sum, r) => sum + estimateSweepMs([r.candidate], [r.result!], true)!.totalMs, 0);
    const plain = estimateSweepMs(candidates.slice(2), ended.map((r) => r.result!), true)!.totalMs;
    expect(quick).toBeCloseTo(plain * (2000 / ownEstimate), 6);
    expect(plain).not.toBeCloseTo(estimateSweepMs(candidates.slice(2), [], true)!.totalMs, 0);
  });

  it('a failed run\'s partial wall time does not scale the estimate', () => {
    const statuses: OverviewRow['status'][] = ['done', 'failed', 'running'];
    const withFailure = rows(statuses, 1000);
    withFailure[1]!.result = { ...withFailure[1]!.result!, status: 'failed' };
    withFailure[1]!.wallMs = 50;
    const onlyDone = rows(['done', 'cancelled', 'running'], 1000);
    onlyDone[1]!.result = withFailure[1]!.result;
    expect(sweepProgress(withFailure, true).remainingMs).toBeCloseTo(sweepProgress(onlyDone, true).remainingMs!, 6);
  });

  it('counts failed and mid-run cancelled runs, not rows cancelled before they started', () => {
    const all = rows(['done', 'failed', 'cancelled', 'running', 'cancelled']);
    all[2]!.result = result(all[2]!.candidate.config);
    all[2]!.wallMs = 4000;
    const progress = sweepProgress(all, false);
    expect(progress).toMatchObject({ runNumber: 4, total: 5, ended: 3 });
  });

  it('after the sweep: no run number, nothing left', () => {
    const progress = sweepProgress(rows(candidates.map(() => 'done')), false);
    expect(progress).toMatchObject({ runNumber: null, total: candidates.length, ended: candidates.length, remainingMs: 0 });
  });
});

describe('overlaidCurves', () => {
  const a = result(candidates[0]!.config, { curve: [
    { epoch: 1, step: 5, valLoss: 1, valAccuracy: 0.5, elapsedMs: 1500 },
    { epoch: 1, step: 10, valLoss: 0.8, valAccuracy: 0.7, elapsedMs: 3000 },
  ] });
  // A result from before validation cadence: its records sit at their epoch's end (stepsPerEpoch 10).
  const b = result(candidates[1]!.config, { curve: [
    { epoch: 1, valLoss: 0.9, valAccuracy: 0.6, elapsedMs: 2000 },
    { epoch: 2, valLoss: 0.7, valAccuracy: 0.75, elapsedMs: 4000 },
  ] });
  const runs = [{ id: 'a', label: 'A', result: a }, { id: 'b', label: 'B', result: b }];

  it('against steps: the union of the runs\' steps, each run null where it has no validation', () => {
    expect(overlaidCurves(runs, 'step')).toEqual({
      x: [5, 10, 20],
      series: [{ id: 'a', label: 'A', values: [0.5, 0.7, null] }, { id: 'b', label: 'B', values: [null, 0.6, 0.75] }],
    });
  });

  it('against seconds of training, validation included', () => {
    const { x, series } = overlaidCurves(runs, 'seconds');
    expect(x).toEqual([1.5, 2, 3, 4]);
    expect(series.map((s) => s.values)).toEqual([[0.5, null, 0.7, null], [null, 0.6, null, 0.75]]);
  });
});

describe('scatterPanel and variedAxes', () => {
  const configs = [
    { ...defaultRunConfig(), model: 'mlp', batchSize: 64 },
    { ...defaultRunConfig(), model: 'mlp', batchSize: 8 },
    { ...defaultRunConfig(), model: 'cnn-small', batchSize: 64 },
  ] as RunConfig[];
  const runs = configs.map((config, i) => ({
    id: `r${i}`,
    result: result(config, { totalMs: [3000, 9000, 30_000][i], truePeakBytes: [2 ** 20, 3 * 2 ** 20, null][i] }),
  }));

  it('finds the axes that differ between the runs', () => {
    expect(variedAxes(configs)).toEqual(['model', 'batchSize']);
  });

  it('orders numeric categories, spreads runs that share one, and scales the outcome from 0 to a round top', () => {
    const panel = scatterPanel(runs, 'batchSize', 'wallTime');
    expect(panel.categories).toEqual([{ text: '8', at: 0.25 }, { text: '64', at: 0.75 }]);
    expect(panel.ticks.map((t) => t.text)).toEqual(['0', '10 s', '20 s', '30 s']);
    const [first, second, third] = panel.points;
    expect([first!.number, second!.number, third!.number]).toEqual([1, 2, 3]);
    expect(second!.x).toBe(0.25);
    expect(first!.x).toBeLessThan(0.75);
    expect(third!.x).toBeGreaterThan(0.75);
    expect(third!.x - first!.x).toBeLessThan(0.5);
    expect(first!.y).toBeCloseTo(3000 / 30_000, 12);
    expect(third!.y).toBeCloseTo(1, 12);
    expect(third!.text).toBe('30 s');
  });

  it('leaves out runs without the figure and names them; accuracy always spans 0–100 %', () => {
    const memory = scatterPanel(runs, 'model', 'truePeak');
    expect(memory.missing).toEqual([3]);
    expect(memory.points.map((p) => p.number)).toEqual([1, 2]);
    expect(memory.categories.map((c) => c.text)).toEqual(['mlp', 'cnn-small']);
    // Binary sizes tick at round MiB: 3 MiB is the top.
    expect(memory.ticks.map((t) => t.text)).toEqual(['0', '1 MiB', '2 MiB', '3 MiB']);
    expect(memory.points.map((p) => p.y)).toEqual([1 / 3, 1]);
    const accuracy = scatterPanel(runs, 'model', 'accuracy');
    expect(accuracy.ticks.at(-1)!.text).toBe('100 %');
    expect(accuracy.points[0]!.y).toBeCloseTo(0.8, 12);
  });
});
