import type { RunConfig } from '../core/config';
import type { StepEvent } from '../core/events';
import type { RowStatus, RunEntry } from '../core/matrix';
import type { EpochRecord, RunResult } from '../core/result';
import { expandSweep, quickValidationSweep, type SweepAxes, type SweepCandidate } from '../core/sweep';
import { keptRuns } from './kept-runs.svelte';
import { RunController, type RunEnd } from './run-controller';
import { timed } from './task-timing';

/**
 * One candidate of the sweep and what happened to it. Every field is a signal of its own, so a step event redraws the
 * row's progress cell and nothing that reads its status or result (matrix, links, estimate).
 */
export class SweepRow {
  status = $state<RowStatus>('queued');
  /** The run's result once it ended (also for failed / cancelled runs that measured something). Replaced whole, never
   * edited, so it is not made deeply reactive (no proxy per field for the matrix, links and exports to read through). */
  result = $state.raw<RunResult | null>(null);
  /** Why the row is not done, in words (failure message, cancel, crash). */
  reason = $state<string | null>(null);
  /** Optimizer steps done / planned while running. */
  step = $state(0);
  totalSteps = $state(0);
  /** Wall time from picking the row to its run's end (worker start, data, compilation included); null until it ended.
   * Not a signal: readers pick it up with the published entries, so a run's end redraws nothing more for it. */
  wallMs: number | null = null;

  constructor(readonly candidate: SweepCandidate) {}
}

/**
 * Runs a sweep's candidates one after another, each in a fresh worker (a fresh tfjs backend, so one run's buffer pool
 * never inflates the next run's memory figures). Rows move queued → running → done / failed / cancelled / over-budget /
 * oom; a failed or crashed run never stops the sweep.
 */
export class SweepRunner {
  /** Values to try per axis; every other setting is shared and comes from the run configuration (getBase). */
  axes = $state<SweepAxes>(quickValidationSweep().axes);
  rows = $state.raw<SweepRow[]>([]);
  /** Live curves of the running row. */
  liveSteps = $state.raw<StepEvent[]>([]);
  liveEpochs = $state.raw<EpochRecord[]>([]);
  liveStepsPerEpoch = $state(1);
  /** The row whose run is in progress (also while its worker is being started). */
  runningRow = $state.raw<SweepRow | null>(null);
  /** Set while a sweep is being stopped: queued rows are cancelled and the running one asked to stop. */
  stopping = $state(false);

  readonly spec = $derived.by(() => ({ base: this.getBase(), axes: this.axes }));
  readonly expansion = $derived(expandSweep(this.spec));
  readonly running = $derived(this.runningRow !== null);
  /**
   * The rows as the matrix, links and exports read them. Refreshed in a task of its own after rows change, so that a
   * run's end (or a sweep's start) redraws the queue in one task and the matrix in the next, not both in one long task.
   */
  entries = $state.raw<RunEntry[]>([]);

  /** Set between picking the next row and starting its worker (a task of its own). */
  private startTimer: ReturnType<typeof setTimeout> | null = null;
  private entriesTimer: ReturnType<typeof setTimeout> | null = null;
  /** performance.now() when the running row was picked. */
  private runningSince = 0;

  private readonly controller: RunController;

  /** Called with every run that ends with a result (history saves it). */
  onResult: ((label: string, result: RunResult) => void) | null = null;

  /** getBase: the settings every candidate shares, i.e. the run configuration the user edits. */
  constructor(dataBaseUrl: string, private readonly getBase: () => RunConfig) {
    // Reports of a run whose row is gone (none running) are dropped.
    this.controller = new RunController(dataBaseUrl, {
      onReady: (ready) => {
        if (!this.runningRow) return;
        this.runningRow.totalSteps = ready.data.totalSteps;
        this.liveStepsPerEpoch = ready.data.stepsPerEpoch;
      },
      onFrame: (steps) => {
        const row = this.runningRow;
        const last = steps.at(-1);
        if (!row || !last) return;
        row.step = last.step;
        this.liveSteps = [...this.liveSteps, ...steps];
      },
      onEpoch: (epoch) => {
        if (this.runningRow) this.liveEpochs = [...this.liveEpochs, epoch];
      },
      onEnd: (end) => {
        if (this.runningRow) this.finishRunning(end);
      },
    });
  }

  /** Queues every valid candidate of the current spec (replacing the previous rows) and starts the first. */
  start(): void {
    if (this.running) return;
    timed('app:sweep-start', () => {
      this.rows = this.expansion.candidates.map((candidate) => new SweepRow(structuredClone($state.snapshot(candidate)) as SweepCandidate));
      this.stopping = false;
      this.next();
      this.publishEntries();
    });
  }

  /** Cancels one row: a queued row is skipped, the running row stops after its current step and keeps what it measured. */
  cancelRow(id: string): void {
    const row = this.rows.find((r) => r.candidate.id === id);
    if (!row) return;
    if (row.status === 'queued') {
      row.status = 'cancelled';
      row.reason = 'Cancelled before it started.';
      this.publishEntries();
    } else if (row.status === 'running') {
      this.cancelRunning();
    }
  }

  /** Cancels every queued row and the running one. Finished rows are kept. */
  cancelAll(): void {
    this.stopping = true;
    for (const row of this.rows) {
      if (row.status === 'queued') {
        row.status = 'cancelled';
        row.reason = 'Cancelled before it started (sweep stopped).';
      }
    }
    if (this.running) this.cancelRunning();
    else this.stopping = false;
    this.publishEntries();
  }

  /** Queues a finished row again; its previous result is replaced when the new run ends. */
  rerun(id: string): void {
    const row = this.rows.find((r) => r.candidate.id === id);
    if (!row || row.status === 'running' || row.status === 'queued') return;
    row.status = 'queued';
    row.reason = null;
    if (!this.running) this.next();
    this.publishEntries();
  }

  dispose(): void {
    if (this.startTimer !== null) clearTimeout(this.startTimer);
    if (this.entriesTimer !== null) clearTimeout(this.entriesTimer);
    this.controller.dispose();
  }

  private publishEntries(): void {
    this.entriesTimer ??= setTimeout(() => timed('app:matrix-rows', () => {
      this.entriesTimer = null;
      this.entries = this.rows.map((row) => ({
        id: row.candidate.id, label: row.candidate.label, status: row.status, reason: row.reason, result: row.result,
      }));
    }), 0);
  }

  private next(): void {
    this.stopping = false;
    const row = this.rows.find((r) => r.status === 'queued') ?? null;
    this.runningRow = row;
    if (!row) return;
    row.status = 'running';
    row.step = 0;
    row.totalSteps = 0;
    this.runningSince = performance.now();
    this.liveSteps = [];
    this.liveEpochs = [];
    // The worker starts in a task of its own, so the previous run's end (queue, matrix, history) and the next run's
    // start do not add up to one long task on the main thread.
    const config = $state.snapshot(row.candidate.config) as RunConfig;
    this.startTimer = setTimeout(() => timed('app:worker-start', () => {
      this.startTimer = null;
      this.controller.run(config);
    }), 0);
  }

  /** Stops the running row: before its worker started, at once; otherwise after its current step. */
  private cancelRunning(): void {
    if (this.startTimer === null) {
      this.controller.cancel();
      return;
    }
    clearTimeout(this.startTimer);
    this.startTimer = null;
    this.finishRunning({ result: null, status: 'cancelled', failure: 'Cancelled before it started.', model: null, misclassified: null });
  }

  /** The running row keeps what the run measured and why it ended; the next queued row starts. */
  private finishRunning({ result, status, failure, model, misclassified }: RunEnd): void {
    const row = this.runningRow!;
    row.result = result;
    row.wallMs = performance.now() - this.runningSince;
    row.status = status;
    row.reason = failure ?? result?.reason ?? null;
    if (result) {
      this.onResult?.(row.candidate.label, result);
      keptRuns.add(`sweep: ${row.candidate.label}`, result, model, misclassified);
    }
    this.next();
    this.publishEntries();
  }
}
