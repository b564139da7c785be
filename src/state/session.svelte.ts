import { defaultRunConfig, validateRunConfig, type FieldError, type RunConfig } from '../core/config';
import type { Environment } from '../core/environment';
import type { MemoryEvent, ReadyEvent, StepEvent, TrainedModel, WorkerEvent } from '../core/events';
import type { EpochRecord, RunResult } from '../core/result';
import { FrameBatch } from '../lib/frame-batch';
import { WorkerClient } from './worker-client';

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

  /** Step and memory events reach the charts once per frame. */
  private readonly liveBatch = new FrameBatch<StepEvent | MemoryEvent>((events) => {
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    if (steps.length) this.steps = [...this.steps, ...steps];
    const memory = events.filter((e): e is MemoryEvent => e.type === 'memory');
    if (memory.length) this.memory = [...this.memory, ...memory];
  });

  private readonly client = new WorkerClient({
    onEvent: (event) => this.handle(event),
    onCrash: (message) => {
      this.error = message;
      this.phase = 'idle';
      this.progress = null;
      this.client.probe(this.config.backend);
    },
  });

  /** Called with every run that ends with a result (history saves it). */
  onResult: ((label: string, result: RunResult) => void) | null = null;

  constructor(private readonly dataBaseUrl: string) {}

  /** Starts a spare worker for the selected backend and shows what it got. */
  probe(): void {
    this.environment = null;
    this.environmentError = null;
    this.client.probe(this.config.backend);
  }

  start(): void {
    if (this.running || !this.validation.ok) return;
    this.phase = 'starting';
    this.error = null;
    this.liveBatch.clear();
    this.steps = [];
    this.epochs = [];
    this.memory = [];
    this.ready = null;
    this.lastResult = null;
    this.progress = { message: 'Starting the training worker', fraction: null };
    this.client.run($state.snapshot(this.validation.config), this.dataBaseUrl);
  }

  stop(): void {
    if (!this.running) return;
    this.phase = 'stopping';
    this.client.cancel();
  }

  dispose(): void {
    this.client.dispose();
  }

  private handle(event: WorkerEvent): void {
    switch (event.type) {
      case 'environment':
        this.environment = event.environment;
        this.environmentError = event.error;
        break;
      case 'progress':
        this.progress = { message: event.message, fraction: event.fraction };
        break;
      case 'ready':
        this.ready = event;
        this.environment = event.environment;
        if (this.phase === 'starting') this.phase = 'training';
        this.progress = null;
        break;
      case 'step':
        // A user-timing mark, visible in DevTools: page open to the first trained step.
        if (event.step === 1) {
          performance.mark('first-trained-step');
          this.progress = null;
        }
        this.liveBatch.push(event);
        break;
      case 'memory':
        this.liveBatch.push(event);
        break;
      case 'epoch':
        this.liveBatch.flush();
        this.epochs = [...this.epochs, event];
        break;
      case 'done':
      case 'failed':
        this.liveBatch.flush();
        this.lastModel = event.type === 'done' ? event.model : null;
        this.finish(event.result, event.type === 'failed' ? event.message : null);
        break;
    }
  }

  private finish(result: RunResult | null, failure: string | null): void {
    this.phase = 'idle';
    this.progress = null;
    this.error = failure;
    if (result) {
      this.lastResult = result;
      this.results = [...this.results, result];
      this.onResult?.(`single run: ${result.config.model}`, result);
    }
    // The used worker is gone; prepare the next one so the following run starts quickly.
    this.client.probe(this.config.backend);
  }
}
