import { defaultRunConfig, validateRunConfig, type FieldError, type RunConfig } from '../core/config';
import type { Environment } from '../core/environment';
import type { MemoryEvent, ReadyEvent, StepEvent, TrainedModel } from '../core/events';
import type { EpochRecord, RunResult } from '../core/result';
import { keptRuns } from './kept-runs.svelte';
import { markStartup } from '../lib/startup-marks';
import { RunController, type RunEnd } from './run-controller';

export type Phase = 'idle' | 'starting' | 'training' | 'stopping';

/** The page's state: the config being edited, the run in progress, and the results of this session. */
export class TrainingSession {
  config = $state<RunConfig>(defaultRunConfig());
  environment = $state<Environment | null>(null);
  environmentError = $state<string | null>(null);
  phase = $state<Phase>('idle');
  progress = $state<{ message: string; fraction: number | null } | null>(null);
  ready = $state<ReadyEvent | null>(null);
  steps = $state.raw<StepEvent[]>([]);
  epochs = $state.raw<EpochRecord[]>([]);
  memory = $state.raw<MemoryEvent[]>([]);
  lastResult = $state<RunResult | null>(null);
  /** The last finished run's trained model, for download (kept out of the reactive result). */
  lastModel = $state.raw<TrainedModel | null>(null);
  error = $state<string | null>(null);
  results = $state.raw<RunResult[]>([]);

  readonly validation = $derived(validateRunConfig(this.config));
  readonly fieldErrors: FieldError[] = $derived(this.validation.ok ? [] : this.validation.errors);
  readonly running = $derived(this.phase !== 'idle');

  private readonly controller: RunController;

  /** Called with every run that ends with a result (history saves it). */
  onResult: ((label: string, result: RunResult) => void) | null = null;

  constructor(dataBaseUrl: string) {
    this.controller = new RunController(dataBaseUrl, {
      onEnvironment: (environment, error) => {
        this.environment = environment;
        this.environmentError = error;
      },
      onProgress: (message, fraction) => {
        this.progress = { message, fraction };
      },
      onReady: (ready) => {
        this.ready = ready;
        this.environment = ready.environment;
        if (this.phase === 'starting') this.phase = 'training';
        this.progress = null;
      },
      onFirstStep: () => {
        markStartup('first-trained-step');
        this.progress = null;
      },
      onFrame: (steps, memory) => {
        if (steps.length) this.steps = [...this.steps, ...steps];
        if (memory.length) this.memory = [...this.memory, ...memory];
      },
      onEpoch: (epoch) => {
        this.epochs = [...this.epochs, epoch];
      },
      onEnd: (end) => this.finish(end),
    });
  }

  /** Starts a spare worker for the selected backend and shows what it got; the worker loads the selected dataset meanwhile. */
  probe(): void {
    this.environment = null;
    this.environmentError = null;
    this.controller.probe(this.config.backend, this.config.dataset);
  }

  start(): void {
    if (this.running || !this.validation.ok) return;
    this.phase = 'starting';
    this.error = null;
    this.steps = [];
    this.epochs = [];
    this.memory = [];
    this.ready = null;
    this.lastResult = null;
    this.progress = { message: 'Starting the training worker', fraction: null };
    markStartup('startup:run-pressed');
    this.controller.run($state.snapshot(this.validation.config));
  }

  stop(): void {
    if (!this.running) return;
    this.phase = 'stopping';
    this.controller.cancel();
  }

  dispose(): void {
    this.controller.dispose();
  }

  private finish({ result, failure, model, misclassified }: RunEnd): void {
    this.phase = 'idle';
    this.progress = null;
    this.error = failure;
    if (result) {
      this.lastResult = result;
      this.lastModel = model;
      this.results = [...this.results, result];
      this.onResult?.(`single run: ${result.config.model}`, result);
      keptRuns.add(`single run: ${result.config.model}`, result, model, misclassified);
    }
    // The used worker is gone; prepare the next one so the following run starts quickly.
    this.controller.probe(this.config.backend, this.config.dataset);
  }
}
