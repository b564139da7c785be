/**
 * RunResult.inference.msPerExample against independent measurements (tfjs CPU backend, mlp): it is the median wall time
 * of a read-back forward pass over one evaluation batch, per example, after one warm-up pass, outside the training clock.
 */
import * as tf from '../../src/core/tf';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { Environment } from '../../src/core/environment';
import type { TrainedModel } from '../../src/core/events';
import { MODEL_BUILDERS } from '../../src/core/models';
import { initBackend } from '../../src/core/train/backend';
import { cpuUploadSource } from '../../src/core/train/batches';
import { runTraining, type TrainerHooks } from '../../src/core/train/trainer';
import { loadShippedDataset } from './shipped-data';

const BASE: Partial<RunConfig> = { model: 'mlp', epochs: 1, backend: 'cpu', seed: 2 };
/** The trainer's evaluation batch: the inference figure is measured on min(this, validation examples) examples. */
const EVAL_BATCH = 256;

let dataset: ImageDataset;
let environment: Environment;

beforeAll(async () => {
  dataset = await loadShippedDataset();
  environment = await initBackend('cpu');
});

const originalMlp = MODEL_BUILDERS.mlp;
afterEach(() => { MODEL_BUILDERS.mlp = originalMlp; });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function run(overrides: Partial<RunConfig>, hooks: Partial<TrainerHooks> = {}) {
  return runTraining({ ...defaultRunConfig(), ...BASE, ...overrides }, dataset, environment, {
    emit: () => {}, isCancelled: () => false, ...hooks,
  });
}

/**
 * Our own latency figure, taken right after the trainer's: the trained model it handed to onTrainedModel, loaded back, model.predict on `n` images in one batch, read back; one warm-up, then the
 * median of 7 passes, per example.
 */
async function predictMsPerExample(saved: TrainedModel, n: number): Promise<number> {
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs as tf.io.WeightsManifestEntry[], weightData: saved.weightData,
  }));
  const source = cpuUploadSource(dataset);
  const { x, y } = source.batch(Int32Array.from({ length: n }, (_, i) => i * 13));
  const times: number[] = [];
  for (let i = 0; i <= 7; i++) {
    const start = performance.now();
    const out = model.predict(x, { batchSize: n }) as tf.Tensor;
    await out.data();
    out.dispose();
    if (i > 0) times.push(performance.now() - start);
  }
  tf.dispose([x, y]);
  model.dispose();
  return median(times) / n;
}

describe('inference latency per example', () => {
  it('agrees with model.predict timed independently on a batch of the same size, at two batch sizes', async () => {
    // 3 % of MNIST: 30 validation examples; 10 %: 100. Three runs of each, interleaved, so that the shared machine's
    // load changes hit both sizes; the medians over them are compared.
    const sizes = [{ subsetFraction: 0.03, batchSize: 16 }, { subsetFraction: 0.1, batchSize: 64 }];
    const measured = sizes.map(() => ({ n: 0, trainer: [] as number[], ours: [] as number[] }));
    for (let repeat = 0; repeat < 3; repeat++) {
      for (const [i, size] of sizes.entries()) {
        let n = 0;
        let saved = null as TrainedModel | null;
        const result = await run(size, {
          emit: (event) => { if (event.type === 'ready') n = Math.min(EVAL_BATCH, event.data.validationExamples); },
          onTrainedModel: (model) => { saved = model; },
        });
        expect(result.status).toBe('done');
        expect(result.inference.batch).toBe(n);
        measured[i]!.n = n;
        measured[i]!.trainer.push(result.inference.msPerExample!);
        measured[i]!.ours.push(await predictMsPerExample(saved!, n));
      }
    }
    const summary = measured.map(({ n, trainer, ours }) => ({ n, trainer: median(trainer), ours: median(ours) }));
    console.log(`[measure] inference ms/example, trainer vs model.predict (CPU, mlp, medians of 3 runs): ${summary.map((m) =>
      `batch ${m.n}: ${m.trainer.toFixed(4)} vs ${m.ours.toFixed(4)} (×${(m.trainer / m.ours).toFixed(2)})`).join('; ')}`);
    expect(summary.map((m) => m.n)).toEqual([30, 100]);
    // Same model, batch and backend, seconds apart: only the machine's noise separates the two (single runs were seen
    // ×0.5–×1.3 apart under load), so a factor of 2 either way. A figure per pass rather than per example would be off
    // ×30 and ×100.
    for (const { trainer, ours } of summary) {
      expect(trainer / ours).toBeGreaterThan(0.5);
      expect(trainer / ours).toBeLessThan(2);
    }
    // Per example: a pass over 3× the examples takes longer as a whole.
    expect(summary[1]!.trainer * summary[1]!.n).toBeGreaterThan(summary[0]!.trainer * summary[0]!.n);
  });

  it('times the 3 read-back passes after one warm-up pass, per example, outside the training wall time', async () => {
    const WARMUP_DELAY_MS = 400;
    let trained = false;
    const passes: { batch: number; ms: number }[] = [];
    // The trainer's own model, its inference-mode forward wrapped: each pass after training is timed from the call to
    // its read-back, and the first one (the warm-up) is made WARMUP_DELAY_MS slower.
    MODEL_BUILDERS.mlp = {
      build: (input, classes, rng) => {
        const model = originalMlp.build(input, classes, rng);
        const apply = model.apply.bind(model);
        model.apply = ((inputs, kwargs) => {
          if (!trained || kwargs?.training !== false) return apply(inputs, kwargs);
          const start = performance.now();
          const pass = { batch: (inputs as tf.Tensor).shape[0]!, ms: Number.NaN };
          const delay = passes.push(pass) === 1 ? WARMUP_DELAY_MS : 0;
          const out = apply(inputs, kwargs) as tf.Tensor;
          const read = out.data.bind(out);
          out.data = (async () => {
            const values = await read();
            if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
            pass.ms = performance.now() - start;
            return values;
          }) as typeof out.data;
          return out;
        }) as typeof model.apply;
        return model;
      },
    };
    const start = performance.now();
    const result = await run({ subsetFraction: 0.02, batchSize: 16 }, {
      emit: (event) => { if (event.type === 'epoch') trained = true; },
    });
    const wallMs = performance.now() - start;
    expect(result.status).toBe('done');
    const n = result.inference.batch;
    // Four latency passes, then one more pass over the scored validation images for the confusion matrix.
    const latency = passes.slice(0, 4);
    expect(passes.map((p) => p.batch)).toEqual([n, n, n, n, result.evaluation!.examples]);
    const timed = median(latency.slice(1).map((p) => p.ms));
    const figure = result.inference.msPerExample! * n;
    console.log(`[measure] inference passes after training (ms): ${latency.map((p) => p.ms.toFixed(2)).join(', ')}; `
      + `trainer ${figure.toFixed(2)} ms per pass of ${n}; wall ${wallMs.toFixed(0)} ms, training clock ${result.timing.totalMs.toFixed(0)} ms`);
    // The same three passes, timed by the wrapper a few calls inside the trainer's clock.
    expect(Math.abs(figure - timed)).toBeLessThanOrEqual(0.1 * timed + 1);
    // The slowed warm-up is not in it (a mean over all four would be over WARMUP_DELAY_MS / 4).
    expect(latency[0]!.ms).toBeGreaterThanOrEqual(WARMUP_DELAY_MS);
    expect(figure).toBeLessThan(WARMUP_DELAY_MS / 4);
    // The training clock stopped before the first inference pass: all four lie in the wall time outside it.
    expect(wallMs - result.timing.totalMs).toBeGreaterThanOrEqual(latency.reduce((sum, p) => sum + p.ms, 0));
  });
});
