/// <reference lib="webworker" />
/**
 * The benchmark's second worker, one per job like the training worker (a fresh tfjs backend each time): the plain
 * tfjs loop, the matmul peak, and the FLOP count of a model (analyzeModel, on the CPU backend).
 */
import * as tf from '../core/tf';
import type { BackendName, DatasetId, ModelName } from '../core/config';
import { fetchByteSource, loadBinaryDataset, type DatasetManifest } from '../core/data/dataset';
import { MODEL_BUILDERS, analyzeModel } from '../core/models';
import { createRng } from '../core/rng';
import { initBackend } from '../core/train/backend';
import { measureMatmul } from './matmul';
import { runPlainLoop } from './plain-loop';
import type { BaselineEvent, BaselineRequest, MatmulResult } from './types';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: BaselineEvent) => scope.postMessage(event);

async function plain(request: Extract<BaselineRequest, { type: 'plain' }>): Promise<void> {
  const { config, dataBaseUrl } = request;
  if (config.backend === 'auto') throw new Error('The plain loop needs a backend chosen by hand, not auto.');
  const [environment, dataset] = await Promise.all([
    initBackend(config.backend),
    loadBinaryDataset(config.dataset, fetchByteSource(new URL(`${config.dataset}/`, dataBaseUrl).href)),
  ]);
  post({ type: 'progress', message: `plain tfjs loop on ${environment.backend}` });
  const result = await runPlainLoop(config, dataset, environment,
    (step, totalSteps, stepMs, loss) => post({ type: 'step', step, totalSteps, stepMs, loss }));
  post({ type: 'plain-done', result });
}

async function matmul(backend: BackendName, sizes: number[], minMs: number): Promise<void> {
  const environment = await initBackend(backend);
  const bySize = [];
  for (const size of sizes) {
    post({ type: 'progress', message: `matmul ${size}×${size} on ${backend}` });
    const measured = await measureMatmul(size, minMs);
    post({ type: 'progress', message: `matmul ${size}×${size}: ${measured.gflops.toFixed(2)} GFLOP/s (${measured.reps} reps in ${measured.ms.toFixed(0)} ms)` });
    bySize.push(measured);
  }
  const best = bySize.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  const result: MatmulResult = { backend, environment, peakGflops: best.gflops, bestSize: best.size, bySize };
  post({ type: 'matmul-done', result });
}

/** FLOPs per example from the model's structure: only the manifest is needed (shape and classes), not the images. */
async function analyze(model: ModelName, dataset: DatasetId, dataBaseUrl: string): Promise<void> {
  await initBackend('cpu');
  const response = await fetch(new URL(`${dataset}/manifest.json`, dataBaseUrl));
  if (!response.ok) throw new Error(`Could not read the ${dataset} manifest: HTTP ${response.status}`);
  const manifest = (await response.json()) as DatasetManifest;
  const input = { height: manifest.height, width: manifest.width, channels: manifest.channels };
  const built = MODEL_BUILDERS[model].build(input, manifest.classNames.length, createRng(0));
  try {
    const analysis = analyzeModel(built, 1);
    post({
      type: 'analysis',
      result: {
        model, dataset, params: analysis.params,
        forwardFlopsPerExample: analysis.forwardFlopsPerExample, trainingFlopsPerExample: analysis.trainingFlopsPerExample,
      },
    });
  } finally {
    built.dispose();
    tf.disposeVariables();
  }
}

scope.onmessage = (message: MessageEvent<BaselineRequest>) => {
  const request = message.data;
  const work = request.type === 'plain' ? plain(request)
    : request.type === 'matmul' ? matmul(request.backend, request.sizes, request.minMs)
      : analyze(request.model, request.dataset, request.dataBaseUrl);
  work.catch((error: unknown) => post({ type: 'error', message: (error as Error).message || String(error) }));
};
