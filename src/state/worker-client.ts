import type { RunConfig } from '../core/config';
import type { DatasetPrefetch, WorkerEvent, WorkerRequest } from '../core/events';
import { knownAutoChoice, rememberAutoChoice } from './auto-backend-cache';
import { markStartup } from '../lib/startup-marks';

/** How long a cancelled run may take to stop by itself before its worker is terminated. */
const CANCEL_GRACE_MS = 3000;

export interface WorkerClientHandlers {
  onEvent(event: WorkerEvent): void;
  /** The worker died (script error, out of memory) or was ended because a cancelled run did not stop in time. */
  onCrash(message: string, cause: 'crash' | 'cancel-timeout'): void;
}

/**
 * Owns the training worker. Each run gets a worker of its own (a fresh tfjs backend); a spare one is started and
 * probed ahead of time so the device panel fills in on load and the first run does not wait for tfjs to load.
 */
export class WorkerClient {
  private worker: Worker | null = null;
  private running = false;
  private cancelTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly handlers: WorkerClientHandlers) {}

  /** Starts a spare worker and asks it which backend `choice` gives; it starts loading `prefetch`'s dataset meanwhile. */
  probe(choice: RunConfig['backend'], prefetch: DatasetPrefetch | null): void {
    this.replaceWorker();
    this.send({ type: 'probe', backend: choice, prefetch });
  }

  run(config: RunConfig, dataBaseUrl: string): void {
    if (this.running) throw new Error('A run is already in progress.');
    if (!this.worker) this.replaceWorker();
    this.running = true;
    this.send({ type: 'run', config, dataBaseUrl, autoChoice: knownAutoChoice(config) });
  }

  /** Asks the run to stop after the current step; terminates the worker if it does not answer in time. */
  cancel(): void {
    if (!this.running || this.cancelTimer) return;
    this.send({ type: 'cancel' });
    this.cancelTimer = setTimeout(() => {
      this.cancelTimer = null;
      if (!this.running) return;
      this.finishRun();
      this.handlers.onCrash(`The run did not stop within ${CANCEL_GRACE_MS / 1000} s (a long GPU step), so its worker was ended; `
        + 'what it measured is lost.', 'cancel-timeout');
    }, CANCEL_GRACE_MS);
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  private send(request: WorkerRequest): void {
    this.worker!.postMessage(request);
  }

  private replaceWorker(): void {
    this.worker?.terminate();
    const worker = new Worker(new URL('../worker/train.worker.ts', import.meta.url), { type: 'module', name: 'training' });
    markStartup('startup:worker-created');
    worker.onmessage = (message: MessageEvent<WorkerEvent>) => {
      const event = message.data;
      const ends = event.type === 'done' || event.type === 'failed';
      if (ends) rememberAutoChoice(event.result);
      if (ends) this.finishRun();
      this.handlers.onEvent(event);
    };
    worker.onerror = (error) => {
      error.preventDefault();
      const wasRunning = this.running;
      this.finishRun();
      this.handlers.onCrash(`The training worker crashed${wasRunning ? ' during a run' : ''}: ${error.message || 'unknown error'}.`, 'crash');
    };
    this.worker = worker;
  }

  /** A used worker holds a used backend: drop it so the next run starts fresh. */
  private finishRun(): void {
    this.running = false;
    if (this.cancelTimer) clearTimeout(this.cancelTimer);
    this.cancelTimer = null;
    this.worker?.terminate();
    this.worker = null;
  }
}
