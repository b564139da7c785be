/** One optimizer step: K accumulated micro-batches, the precision mode's loss scaling and rounding, Adam's update. */
import * as tf from '../tf';
import type { RunConfig } from '../config';
import type { BatchSource } from './batches';
import { DynamicLossScaler, allFinite, roundTensorToFloat16, unscaleGradients } from './precision';
import { buildStoredActivationNetwork } from './stored-activations/network';

/** Everything one optimizer step needs. */
export interface StepContext {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  variables: tf.Variable[];
  source: BatchSource;
  accumulationSteps: number;
  /** Present in the half-precision modes. */
  scaler: DynamicLossScaler | null;
  /** mixed-fp16: weight gradients are rounded to half precision as well. */
  roundGradients: boolean;
  /** The training-mode forward whose gradients are taken: model.apply, or fp16-activations' packed network. */
  trainingForward: (x: tf.Tensor) => tf.Tensor;
  /** ε of label smoothing (0 = none). */
  labelSmoothing: number;
}

/**
 * Mean softmax cross-entropy over the batch against (1 − ε)·one-hot + ε/classes: tfjs's labelSmoothing is the same
 * formula as PyTorch's CrossEntropyLoss(label_smoothing=ε).
 */
export function classificationLoss(oneHotLabels: tf.Tensor, logits: tf.Tensor, labelSmoothing: number): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(oneHotLabels, logits, undefined, labelSmoothing) as tf.Scalar;
}

export interface AccumulatedStep {
  /** Mean gradient over the whole batch, per variable name (multiplied by the loss scale when one is used). */
  grads: tf.NamedTensorMap;
  /** [mean loss, mean training accuracy] over the whole batch, still on the device; the loss is unscaled. */
  metrics: tf.Tensor1D;
  /** CPU wall time spent preparing input batches (conversion, upload calls, gather dispatch). */
  dataMs: number;
}

function mapGrads(grads: tf.NamedTensorMap, f: (name: string, g: tf.Tensor) => tf.Tensor): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const name of Object.keys(grads)) out[name] = f(name, grads[name]!);
  return out;
}

/**
 * Gradients of the mean loss over `indices`, computed as K micro-batches of indices.length / K examples:
 * each micro-batch's gradients are added to a running sum, which is divided by K at the end. Only one
 * micro-batch's activations are alive at a time; the sum costs one gradient-sized buffer.
 */
export function accumulatedGradients(ctx: StepContext, indices: Int32Array): AccumulatedStep {
  const { optimizer, variables, source, accumulationSteps: k, scaler } = ctx;
  const micro = indices.length / k;
  const lossScale = scaler?.scale ?? 1;
  let summed: tf.NamedTensorMap | null = null;
  let lossSum: tf.Scalar = tf.scalar(0);
  let accuracySum: tf.Scalar = tf.scalar(0);
  let dataMs = 0;
  for (let i = 0; i < k; i++) {
    const dataStart = performance.now();
    const { x, y } = source.batch(indices.subarray(i * micro, (i + 1) * micro));
    dataMs += performance.now() - dataStart;
    let accuracy: tf.Scalar | null = null;
    let loss: tf.Scalar | null = null;
    const { value, grads } = optimizer.computeGradients(() => {
      const logits = ctx.trainingForward(x);
      accuracy = tf.keep(tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)).toFloat().mean() as tf.Scalar);
      loss = tf.keep(classificationLoss(y, logits, ctx.labelSmoothing));
      return lossScale === 1 ? loss : tf.mul(loss, lossScale);
    }, variables);
    // Without a loss scale `value` is `loss` itself, which is still needed below.
    tf.dispose(value === loss ? [x, y] : [x, y, value]);
    const previous: tf.NamedTensorMap | null = summed;
    summed = previous ? tf.tidy(() => mapGrads(grads, (name, g) => tf.add(previous[name]!, g))) : grads;
    if (previous) tf.dispose([previous, grads]);
    const [oldLoss, oldAccuracy] = [lossSum, accuracySum];
    lossSum = tf.add(oldLoss, loss!);
    accuracySum = tf.add(oldAccuracy, accuracy!);
    tf.dispose([oldLoss, oldAccuracy, loss!, accuracy!]);
  }
  const total = summed!;
  const grads = tf.tidy(() => mapGrads(total, (_, g) => {
    const mean = k === 1 ? g.clone() : tf.div(g, k);
    return ctx.roundGradients ? roundTensorToFloat16(mean) : mean;
  }));
  const metrics = tf.tidy(() => tf.div(tf.stack([lossSum, accuracySum]), k) as tf.Tensor1D);
  tf.dispose([total, lossSum, accuracySum]);
  return { grads, metrics, dataMs };
}

/**
 * Sets Adam's learning rate for the steps that follow. tfjs declares the field protected but reads it on every
 * applyGradients (a plain number in backend-independent ops), so a schedule can change it between steps.
 */
export function setLearningRate(ctx: StepContext, learningRate: number): void {
  (ctx.optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

export interface StepOutcome {
  loss: number;
  accuracy: number;
  dataMs: number;
  /** The loss scaler found inf/NaN gradients and skipped the update. */
  skipped: boolean;
}

/**
 * One optimizer step. It is finished only once its loss has been read back from the device.
 * With a loss scaler the gradients are checked for inf/NaN on the device first; a bad step is skipped.
 */
export async function optimizerStep(ctx: StepContext, indices: Int32Array): Promise<StepOutcome> {
  const { grads, metrics, dataMs } = accumulatedGradients(ctx, indices);
  // try/finally: a read-back that fails (lost device) must not leave this step's tensors behind.
  try {
    if (!ctx.scaler) {
      ctx.optimizer.applyGradients(grads);
      const [loss, accuracy] = await metrics.data();
      return { loss: loss!, accuracy: accuracy!, dataMs, skipped: false };
    }
    const readout = tf.tidy(() => tf.concat([metrics, allFinite(grads).toFloat().reshape([1])]));
    const values = await readout.data().finally(() => readout.dispose());
    const [loss, accuracy, finite] = values;
    const { skipped } = ctx.scaler.update(finite !== 1);
    if (!skipped) {
      const unscaled = unscaleGradients(grads, ctx.scaler.scale);
      ctx.optimizer.applyGradients(unscaled);
      tf.dispose(unscaled);
    }
    return { loss: loss!, accuracy: accuracy!, dataMs, skipped };
  } finally {
    tf.dispose([grads, metrics]);
  }
}

/**
 * Adam's epsilon under fp16-storage. tfjs picks 1e-7 whenever the GPU can render to float32, even with half-float
 * textures forced, and 1e-7 is below binary16's smallest normal (2^-14 ≈ 6.1e-5): at best a subnormal, zero where the
 * GPU flushes subnormals. Once a second moment underflows (g² < 2^-14, i.e. |g| < 0.008, common at large batches)
 * the step lr · m / (√v + ε) is ~10⁷ × lr × the gradient, or a division by zero, and the weights overflow to inf/NaN
 * (cnn-small b256 on WebGL: NaN at step 2). 1e-4 is what tfjs itself uses when it knows its textures are half floats.
 */
export const HALF_FLOAT_ADAM_EPSILON = 1e-4;

export function createStepContext(config: RunConfig, model: tf.LayersModel, source: BatchSource): StepContext {
  // fp16-activations: the same model and variables, trained through its own backward pass with packed activations.
  const network = config.precision === 'fp16-activations' ? buildStoredActivationNetwork(model) : null;
  return {
    model,
    optimizer: tf.train.adam(config.learningRate, 0.9, 0.999, config.precision === 'fp16-storage' ? HALF_FLOAT_ADAM_EPSILON : undefined),
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    source,
    accumulationSteps: config.accumulationSteps,
    scaler: config.precision === 'fp32' ? null : new DynamicLossScaler(),
    roundGradients: config.precision === 'mixed-fp16',
    trainingForward: network ? (x) => network.apply(x) : (x) => model.apply(x, { training: true }) as tf.Tensor,
    labelSmoothing: config.labelSmoothing,
  };
}
