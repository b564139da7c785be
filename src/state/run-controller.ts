import type { RunConfig } from '../core/config';
import type { Environment } from '../core/environment';
import type { MisclassifiedGallery } from '../core/evaluation-report';
import type { MemoryEvent, ReadyEvent, StepEvent, TrainedModel, WorkerEvent } from '../core/events';
import { statusOfResult, type RowStatus } from '../core/matrix';
import type { EpochRecord, RunResult } from '../core/result';
import { FrameBatch } from '../lib/frame-batch';
import { timed } from './task-timing';
import { WorkerClient } from './worker-client';

/** How a run ended, whichever way it did (the worker's done or failed event, a crash, a stop that timed out). */
export interface RunEnd {
  /** What it measured, also for failed and cancelled runs that got that far. */
  result: RunResult | null;
  status: RowStatus;
  /** Why it failed, crashed or was ended; null when the run ended by itself. */
  failure: string | null;
  /** The trained model, when the run finished (downloadable; not part of the result). */
  model: TrainedModel | null;
  /** The finished run's most confident mistakes, with their pixels (not part of the result). */
  misclassified: MisclassifiedGallery | null;
}

/** What a run controller reports to its owner (a single run or a sweep), each in the task the worker's event came in. */
export interface RunReports {
  onEnvironment?(environment: Environment | null, error: string | null): void;
  onProgress?(message: string, fraction: number | null): void;
  onReady?(ready: ReadyEvent): void;
  onFirstStep?(): void;
  /** The step and memory events of one animation frame (a fast run streams many a second). */
  onFrame(steps: StepEvent[], memory: MemoryEvent[]): void;
  onEpoch(epoch: EpochRecord): void;
  onEnd(end: RunEnd): void;
}

/** Runs one training run at a time in a worker of its own and turns the worker's events into reports to its owner. */
export class RunController {
  private readonly liveBatch = new FrameBatch<StepEvent | MemoryEvent>((events) => timed('app:step-frame', () => {
    this.reports.onFrame(events.filter((e) => e.type === 'step'), events.filter((e) => e.type === 'memory'));
  }));

  private readonly client = new WorkerClient({
    onEvent: (event) => this.handle(event),
    onCrash: (message, cause) => timed('app:run-end', () => this.end({
      result: null, status: cause === 'cancel-timeout' ? 'cancelled' : 'failed', failure: message, model: null, misclassified: null,
    })),
  });

  constructor(private readonly dataBaseUrl: string, private readonly reports: RunReports) {}

  /** Starts a spare worker for `backend` and reports what it got (onEnvironment); it starts loading `dataset` meanwhile. */
  probe(backend: RunConfig['backend'], dataset: RunConfig['dataset']): void {
    this.client.probe(backend, { dataset, dataBaseUrl: this.dataBaseUrl });
  }

  run(config: RunConfig): void {
    this.liveBatch.clear();
    this.client.run(config, this.dataBaseUrl);
  }

  /** Asks the run to stop after its current step; its worker is ended if it does not answer in time (onEnd either way). */
  cancel(): void {
    this.client.cancel();
  }

  dispose(): void {
    this.liveBatch.clear();
    this.client.dispose();
  }

  private handle(event: WorkerEvent): void {
    if (event.type === 'done') {
      timed('app:run-end', () => this.end({
        result: event.result, status: statusOfResult(event.result), failure: null, model: event.model, misclassified: event.misclassified,
      }));
    } else if (event.type === 'failed') {
      const status = event.result ? statusOfResult(event.result) : 'failed';
      timed('app:run-end', () => this.end({ result: event.result, status, failure: event.message, model: null, misclassified: null }));
    } else {
      timed('app:worker-message', () => this.report(event));
    }
  }

  private report(event: Exclude<WorkerEvent, { type: 'done' | 'failed' }>): void {
    switch (event.type) {
      case 'environment':
        this.reports.onEnvironment?.(event.environment, event.error);
        break;
      case 'progress':
        this.reports.onProgress?.(event.message, event.fraction);
        break;
      case 'ready':
        this.reports.onReady?.(event);
        break;
      case 'step':
        if (event.step === 1) this.reports.onFirstStep?.();
        this.liveBatch.push(event);
        break;
      case 'memory':
        this.liveBatch.push(event);
        break;
      case 'epoch':
        this.liveBatch.flush();
        this.reports.onEpoch(event);
        break;
    }
  }

  /** The steps still waiting for a frame reach the owner before the end does. */
  private end(end: RunEnd): void {
    this.liveBatch.flush();
    this.reports.onEnd(end);
  }
}
