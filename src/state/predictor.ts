import type { TrainedModel } from '../core/events';
import type { PredictInput, PredictReply, PredictRequest } from '../core/try-model';

/** The page's side of the prediction worker: started on first use; each run's model is sent (copied) once. */
export class ModelPredictor {
  private worker: Worker | null = null;
  /** The run whose model the worker holds or is loading. */
  private heldKey: number | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: PredictReply) => void>();

  predict(modelKey: number, model: TrainedModel, input: PredictInput): Promise<PredictReply> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const request: PredictRequest = { id, modelKey, model: this.heldKey === modelKey ? null : model, input };
    this.heldKey = modelKey;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage(request);
    });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.fail('The page closed the prediction worker.');
  }

  private start(): Worker {
    const worker = new Worker(new URL('../worker/predict.worker.ts', import.meta.url), { type: 'module', name: 'predict' });
    worker.onmessage = (message: MessageEvent<PredictReply>) => {
      const reply = message.data;
      // After a failure the worker may not hold the model: send it again next time.
      if (!reply.ok) this.heldKey = null;
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      this.worker = null;
      this.fail(`The prediction worker stopped: ${event.message || 'it could not start'}.`);
    };
    this.worker = worker;
    return worker;
  }

  private fail(message: string): void {
    this.heldKey = null;
    for (const [id, resolve] of this.pending) resolve({ id, ok: false, message });
    this.pending.clear();
  }
}
