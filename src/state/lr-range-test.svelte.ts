import type { RunConfig } from '../core/config';
import type { WorkerEvent, WorkerRequest } from '../core/events';
import type { LrRangeResult, RangePoint } from '../core/train/lr-range-test';
import { knownAutoChoice, rememberChoice } from './auto-backend-cache';

/** How long a cancelled range test may take to stop by itself before its worker is ended. */
const CANCEL_GRACE_MS = 3000;

/** A learning-rate range test in a training worker of its own (a fresh backend, ended when the test ends). */
export class LrRangeTestState {
  points = $state.raw<RangePoint[]>([]);
  /** Steps planned, once the first point came back. */
  steps = $state(0);
  progress = $state<string | null>(null);
  result = $state.raw<LrRangeResult | null>(null);
  running = $state(false);
  /** Why the worker itself failed (a crash, a stop that timed out); a failed test says why in its result. */
  error = $state<string | null>(null);

  private worker: Worker | null = null;
  private config: RunConfig | null = null;
  private cancelTimer: ReturnType<typeof setTimeout> | null = null;

  start(config: RunConfig, dataBaseUrl: string): void {
    if (this.running) return;
    this.points = [];
    this.steps = 0;
    this.result = null;
    this.error = null;
    this.running = true;
    this.progress = 'Starting the worker';
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a module URL for the bundler, never state
    const worker = new Worker(new URL('../worker/train.worker.ts', import.meta.url), { type: 'module', name: 'lr-range-test' });
    worker.onmessage = (message: MessageEvent<WorkerEvent>) => this.handle(message.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.end(`The range test's worker crashed: ${event.message || 'unknown error'}.`);
    };
    this.worker = worker;
    this.send({ type: 'lr-range-test', config, dataBaseUrl, autoChoice: knownAutoChoice(config) });
    this.config = config;
  }

  cancel(): void {
    if (!this.running || this.cancelTimer) return;
    this.send({ type: 'cancel' });
    this.cancelTimer = setTimeout(() => this.end(`The range test did not stop within ${CANCEL_GRACE_MS / 1000} s, so its worker was ended.`), CANCEL_GRACE_MS);
  }

  dispose(): void {
    this.end(null);
  }

  private send(request: WorkerRequest): void {
    this.worker?.postMessage(request);
  }

  private handle(event: WorkerEvent): void {
    if (event.type === 'progress') this.progress = event.message;
    else if (event.type === 'lr-range-point') {
      this.points = [...this.points, event.point];
      this.steps = event.steps;
      this.progress = null;
    } else if (event.type === 'lr-range-done') {
      this.result = event.result;
      if (this.config) rememberChoice(this.config, event.result.autoChoice);
      this.end(null);
    }
  }

  /** The worker holds a used backend: it is ended with the test. */
  private end(error: string | null): void {
    if (this.cancelTimer) clearTimeout(this.cancelTimer);
    this.cancelTimer = null;
    this.worker?.terminate();
    this.worker = null;
    this.running = false;
    this.progress = null;
    if (error) this.error = error;
  }
}
