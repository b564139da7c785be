/**
 * Micro-benchmark of the fused WebGPU engine against stock tfjs-webgpu kernels, same model, batch and adapter, in one
 * Node process on Dawn (SwiftShader without a GPU): `ENGINE_BENCH=model,batch,K,windows npm run bench:engine`. It runs
 * under vitest (a project of its own, never part of `npm run test:unit`), which bundles tfjs-core's ES modules for Node.
 */
import { test } from 'vitest';
import type * as TF from '../src/core/tf';
import type { ModelName } from '../src/core/config';

const [modelName = 'cnn-small', batchArg = '32', kArg = '1', windowsArg = '5'] = (process.env.ENGINE_BENCH ?? '').split(',').filter(Boolean);
const BATCH = Number(batchArg);
const K = Number(kArg);
const WINDOWS = Number(windowsArg);
/** Steps per timed window; each window ends with one read-back of its last step's loss. */
const WINDOW_STEPS = 2;
const LEARNING_RATE = 1e-3;

// tfjs-backend-webgpu registers itself only if navigator.gpu exists when it loads (the setup file provides it).
const tf = await import('../src/core/tf');
await import('@tensorflow/tfjs-backend-webgpu');
const { FusedEngine } = await import('../src/core/engine/engine');
const { MODEL_BUILDERS } = await import('../src/core/models');
const { createRng } = await import('../src/core/rng');
const { quantile } = await import('../src/core/measure/stats');

const MNIST = { height: 28, width: 28, channels: 1 };

function batch(seed: number) {
  return tf.tidy(() => ({
    x: tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', seed),
    y: tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', seed + 1) as TF.Tensor1D, 10).toFloat(),
  }));
}

/** Median ms per step over `WINDOWS` windows of `WINDOW_STEPS` steps, each window timed up to its read-back. */
async function timeWindows(runWindow: () => Promise<void>): Promise<{ median: number; p10: number; p90: number }> {
  const perStep: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const start = performance.now();
    await runWindow();
    perStep.push((performance.now() - start) / WINDOW_STEPS);
  }
  return { median: quantile(perStep, 0.5), p10: quantile(perStep, 0.1), p90: quantile(perStep, 0.9) };
}

async function stock(): Promise<{ firstMs: number; steady: Awaited<ReturnType<typeof timeWindows>>; kernels: number; losses: number[] }> {
  const model = MODEL_BUILDERS[modelName as ModelName].build(MNIST, 10, createRng(3));
  const optimizer: TF.Optimizer = tf.train.adam(LEARNING_RATE);
  const variables = model.trainableWeights.map((w) => w.read() as TF.Variable);
  const { x, y } = batch(5);
  const micro = BATCH / K;
  const losses: number[] = [];
  // The trainer's accumulation (src/core/train): K micro-batches, gradients summed, divided by K, one Adam update.
  const step = (): TF.Scalar => {
    let summed: TF.NamedTensorMap = {};
    let loss: TF.Scalar | null = null;
    for (let k = 0; k < K; k++) {
      const [xs, ys] = [x.slice(k * micro, micro), y.slice(k * micro, micro)];
      const { value, grads } = optimizer.computeGradients(
        () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as TF.Tensor) as TF.Scalar, variables);
      const previous = summed;
      summed = k === 0 ? grads : tf.tidy(() => Object.fromEntries(Object.keys(grads).map((n) => [n, tf.add(previous[n]!, grads[n]!)])));
      tf.dispose(k === 0 ? [xs, ys] : [xs, ys, previous, grads, loss!]);
      loss = value;
    }
    const mean: TF.NamedTensorMap = tf.tidy(() => Object.fromEntries(Object.keys(summed).map((n) => [n, tf.div(summed[n]!, K)])));
    optimizer.applyGradients(mean);
    tf.dispose([summed, mean]);
    return loss!;
  };
  const first = performance.now();
  const firstLoss = step();
  losses.push((await firstLoss.data())[0]!);
  firstLoss.dispose();
  const firstMs = performance.now() - first;
  const profile = await tf.profile(() => tf.dispose(step()));
  const steady = await timeWindows(async () => {
    for (let s = 0; s < WINDOW_STEPS; s++) {
      const loss = step();
      if (s === WINDOW_STEPS - 1) losses.push((await loss.data())[0]!);
      loss.dispose();
    }
  });
  optimizer.dispose();
  tf.dispose([x, y]);
  model.dispose();
  return { firstMs, steady, kernels: profile.kernels.length, losses };
}

async function fused() {
  const model = MODEL_BUILDERS[modelName as ModelName].build(MNIST, 10, createRng(3));
  const engine = new FusedEngine(model, { batchSize: BATCH, accumulationSteps: K, learningRate: LEARNING_RATE, metricsEvery: WINDOW_STEPS });
  const compile = await engine.compile();
  const { x, y } = batch(5);
  const first = performance.now();
  engine.step(x, y);
  const [firstMetrics] = await engine.readMetrics();
  const firstMs = performance.now() - first;
  engine.step(x, y); // the step tf.profile takes in the stock run
  await engine.readMetrics();
  const losses = [firstMetrics!.loss];
  const steady = await timeWindows(async () => {
    for (let s = 0; s < WINDOW_STEPS; s++) engine.step(x, y);
    const metrics = await engine.readMetrics();
    losses.push(metrics[metrics.length - 1]!.loss);
  });
  const dispatches = engine.dispatchesPerStep;
  engine.dispose();
  tf.dispose([x, y]);
  model.dispose();
  return { compile, firstMs, steady, dispatches, losses };
}

test('engine bench', { timeout: 3_600_000 }, async () => {
  await tf.setBackend('webgpu');
  const adapter = (tf.backend() as unknown as { adapterInfo: { vendor: string; architecture: string } }).adapterInfo;
  console.log(`engine-bench: ${modelName}, batch ${BATCH}, K ${K}, Adam; Node + Dawn, adapter ${adapter.vendor} / ${adapter.architecture}; ` +
    `${WINDOWS} windows of ${WINDOW_STEPS} steps, each ended by one read-back`);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const spread = (s: { median: number; p10: number; p90: number }) => `${ms(s.median)} (p10 ${ms(s.p10)}, p90 ${ms(s.p90)})`;
  const fusedResult = await fused();
  // Printed before the stock run, which takes far longer on a software adapter.
  console.log(`fused: compile ${fusedResult.compile.programs} programs in ${ms(fusedResult.compile.ms)}; first step ${ms(fusedResult.firstMs)}; ` +
    `steady ${spread(fusedResult.steady)} per step; ${fusedResult.dispatches} dispatches per step`);
  const stockResult = await stock();
  console.log(`tfjs:  first step (compile) ${ms(stockResult.firstMs)}; steady ${spread(stockResult.steady)} per step; ${stockResult.kernels} kernels per step`);
  console.log(`ratio fused / tfjs steady step time: ${(fusedResult.steady.median / stockResult.steady.median).toFixed(3)}`);
  console.log(`losses fused: ${fusedResult.losses.map((l) => l.toFixed(4)).join(' ')}`);
  console.log(`losses tfjs:  ${stockResult.losses.map((l) => l.toFixed(4)).join(' ')}`);
});
