/**
 * Where a run's memory goes, laid out for bars: the analytic estimate's four parts stacked, beside the measured true
 * peak and the buffer pool's allocation, all on one scale shared by every run shown together.
 */
import { formatBytes } from './format';
import type { RunMemory } from './result';

export const MEMORY_PARTS = ['weights', 'gradients', 'optimizer', 'activations'] as const;
export type MemoryPart = (typeof MEMORY_PARTS)[number];

export const MEMORY_PART_LABEL: Record<MemoryPart, string> = {
  weights: 'weights',
  gradients: 'gradients',
  optimizer: 'optimizer state',
  activations: 'kept activations',
};

/** A stretch of a bar: where it starts and how wide it is, as fractions of the scale. */
export interface BarSpan {
  bytes: number;
  start: number;
  width: number;
}

export interface MemoryBarRow {
  id: string;
  label: string;
  /** The estimate's parts in MEMORY_PARTS order, each starting where the previous ends; empty without an estimate. */
  parts: (BarSpan & { part: MemoryPart })[];
  estimate: BarSpan | null;
  truePeak: BarSpan | null;
  /** Why the true peak is missing (e.g. the CPU backend has no GPU figure). */
  truePeakNote: string | null;
  allocated: BarSpan | null;
  /** Every figure of the row in words, for screen readers and the table. */
  description: string;
}

/** A linear axis from 0 to a round top, with its ticks placed as fractions of it. */
export interface RoundScale {
  /** The value at the far end of the axis: a round number at or above the largest figure. */
  top: number;
  ticks: { value: number; at: number; text: string }[];
}

/**
 * A scale from 0 to a round number of the largest unit the figure reaches (1, 2 or 5 × 10^n of it per tick), with 2–5
 * ticks after 0, so binary sizes tick at round MiB (not 4.8 MiB) and times at round seconds. No positive figure gives
 * `fallback`.
 */
export function roundScale(largest: number, units: readonly number[], format: (value: number) => string, fallback: number): RoundScale {
  const figure = largest > 0 && Number.isFinite(largest) ? largest : fallback;
  const unit = units.find((u) => figure >= u) ?? units.at(-1)!;
  const rough = figure / unit / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power) * unit;
  const top = Math.ceil(figure / step - 1e-9) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => {
    const value = i * step;
    return { value, at: value / top, text: value === 0 ? '0' : format(value) };
  });
  return { top, ticks };
}

/** The bytes scale of memory bars: whole KiB, MiB or GiB; 1 MiB when there is no figure, so empty bars still have an axis. */
export function memoryScale(largestBytes: number): RoundScale {
  return roundScale(largestBytes, [2 ** 30, 2 ** 20, 2 ** 10], formatBytes, 2 ** 20);
}

function span(bytes: number | null | undefined, start: number, maxBytes: number): BarSpan | null {
  return typeof bytes === 'number' && Number.isFinite(bytes) && bytes >= 0 ? { bytes, start: start / maxBytes, width: bytes / maxBytes } : null;
}

function describe(label: string, memory: RunMemory): string {
  const e = memory.estimate;
  const estimate = e
    ? `estimate ${formatBytes(e.totalBytes)} (${MEMORY_PARTS.map((p) => `${MEMORY_PART_LABEL[p]} ${formatBytes(partBytes(e, p))}`).join(', ')})`
    : 'no estimate';
  const peak = memory.truePeakBytes === null ? `true peak not measured${memory.truePeakNote ? ` (${memory.truePeakNote})` : ''}`
    : `true peak ${formatBytes(memory.truePeakBytes)}`;
  const pool = memory.allocatedBytes === null ? 'pool not measured' : `pool allocated ${formatBytes(memory.allocatedBytes)}`;
  return `${label}: ${estimate}; ${peak}; ${pool}`;
}

function partBytes(estimate: NonNullable<RunMemory['estimate']>, part: MemoryPart): number {
  switch (part) {
    case 'weights': return estimate.weightsBytes;
    case 'gradients': return estimate.gradientsBytes;
    case 'optimizer': return estimate.optimizerBytes;
    case 'activations': return estimate.activationsBytes;
  }
}

/** The bars of `runs` on one scale: the largest estimate, true peak or pool allocation of any of them sets it. */
export function memoryBars(runs: readonly { id: string; label: string; memory: RunMemory }[]): { scale: RoundScale; rows: MemoryBarRow[] } {
  const figures = runs.flatMap(({ memory: m }) => [m.estimate?.totalBytes, m.truePeakBytes, m.allocatedBytes])
    .filter((b): b is number => typeof b === 'number' && Number.isFinite(b));
  const scale = memoryScale(Math.max(0, ...figures));
  const rows = runs.map(({ id, label, memory }): MemoryBarRow => {
    let start = 0;
    const parts = memory.estimate ? MEMORY_PARTS.map((part) => {
      const bytes = partBytes(memory.estimate!, part);
      const piece = { part, ...span(bytes, start, scale.top)! };
      start += bytes;
      return piece;
    }) : [];
    return {
      id, label, parts,
      estimate: span(memory.estimate?.totalBytes, 0, scale.top),
      truePeak: span(memory.truePeakBytes, 0, scale.top),
      truePeakNote: memory.truePeakBytes === null ? memory.truePeakNote : null,
      allocated: span(memory.allocatedBytes, 0, scale.top),
      description: describe(label, memory),
    };
  });
  return { scale, rows };
}
