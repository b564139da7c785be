/** Validation in inference mode, and after training the inference latency and what the model gets wrong. */
import * as tf from '../tf';
import type { ImageDataset } from '../data/dataset';
import { evalBatches } from '../data/splits';
import { confusionReport, pickMistakes, type EvaluationReport, type MisclassifiedGallery } from '../evaluation-report';
import { quantile } from '../measure/stats';
import type { RunResult } from '../result';
import { toModelInput } from '../try-model';
import type { BatchSource } from './batches';

/** Examples per validation batch, and the batch the inference latency is measured on. */
export const EVAL_BATCH = 256;

/** [summed loss, correct predictions] of one evaluation batch, on the device. */
export function evalBatchSums(model: tf.LayersModel, source: BatchSource, batch: Int32Array): tf.Tensor1D {
  const { x, y } = source.batch(batch);
  const sums = tf.tidy(() => {
    const logits = model.apply(x, { training: false }) as tf.Tensor;
    const loss = tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.SUM);
    const hits = tf.equal(tf.argMax(logits, -1), tf.argMax(y, -1)).toFloat().sum();
    return tf.stack([loss, hits]) as tf.Tensor1D;
  });
  tf.dispose([x, y]);
  return sums;
}

/** Mean loss and accuracy over `indices`, inference mode, in fixed-size batches. */
export async function evaluate(
  model: tf.LayersModel, source: BatchSource, indices: Int32Array, isCancelled: () => boolean,
): Promise<{ loss: number; accuracy: number } | null> {
  let lossSum = 0;
  let correct = 0;
  for (const batch of evalBatches(indices, EVAL_BATCH)) {
    if (isCancelled()) return null;
    const sums = evalBatchSums(model, source, batch);
    const [loss, hits] = await sums.data();
    sums.dispose();
    lossSum += loss!;
    correct += hits!;
  }
  return { loss: lossSum / indices.length, accuracy: correct / indices.length };
}

/** The predicted class of every example at `indices` and the softmax probability it got, inference mode, in evaluation batches. */
async function predictClasses(
  model: tf.LayersModel, source: BatchSource, indices: Int32Array,
): Promise<{ predicted: Int32Array; confidence: Float32Array }> {
  const predicted = new Int32Array(indices.length);
  const confidence = new Float32Array(indices.length);
  let offset = 0;
  for (const batch of evalBatches(indices, EVAL_BATCH)) {
    const { x, y } = source.batch(batch);
    const [classes, probabilities] = tf.tidy(() => {
      const logits = model.apply(x, { training: false }) as tf.Tensor2D;
      return [tf.argMax(logits, -1), tf.softmax(logits).max(-1)];
    });
    tf.dispose([x, y]);
    try {
      predicted.set(await classes.data() as Int32Array, offset);
      confidence.set(await probabilities.data() as Float32Array, offset);
    } finally {
      tf.dispose([classes, probabilities]);
    }
    offset += batch.length;
  }
  return { predicted, confidence };
}

/** Misclassified images a run hands to the page: enough to see a pattern, a few kilobytes each at most. */
export const GALLERY_IMAGES = 24;

/** The trained model's confusion matrix on `indices`, and its most confident mistakes with their pixels. */
export async function evaluateMistakes(
  model: tf.LayersModel, source: BatchSource, dataset: ImageDataset, indices: Int32Array,
): Promise<{ report: EvaluationReport; gallery: MisclassifiedGallery }> {
  const { predicted, confidence } = await predictClasses(model, source, indices);
  const trueLabels = Int32Array.from(indices, (index) => dataset.labels[index]!);
  const { height, width, channels } = dataset;
  const pixels = height * width * channels;
  const images = pickMistakes(trueLabels, predicted, confidence, GALLERY_IMAGES).map(({ position, ...mistake }) => {
    const index = indices[position]!;
    return { ...mistake, pixels: dataset.images.slice(index * pixels, (index + 1) * pixels) };
  });
  return { report: confusionReport(dataset.classNames, trueLabels, predicted), gallery: { height, width, channels, images } };
}

/**
 * The class probabilities of one image (uint8 pixels at the model's input shape, HWC): scaled to [0, 1] as the batch
 * sources scale training images, then the softmax of the model's outputs (they are logits) in inference mode.
 */
export async function classProbabilities(model: tf.LayersModel, pixels: Uint8Array): Promise<number[]> {
  const [, height, width, channels] = model.inputs[0]!.shape as [null, number, number, number];
  if (pixels.length !== height * width * channels) {
    throw new Error(`The image has ${pixels.length} values; the model takes ${height} × ${width} × ${channels}.`);
  }
  const probabilities = tf.tidy(() => {
    const x = tf.tensor4d(toModelInput(pixels), [1, height, width, channels]);
    return tf.softmax(model.apply(x, { training: false }) as tf.Tensor2D).squeeze();
  });
  try {
    return Array.from(await probabilities.data());
  } finally {
    probabilities.dispose();
  }
}

const INFERENCE_REPEATS = 3;

/**
 * Inference latency for the deployment criterion: median wall time of a forward pass (inference mode) over one
 * evaluation batch, read back each time, after one warm-up pass that compiles the shaders; per example.
 */
export async function measureInference(model: tf.LayersModel, source: BatchSource, indices: Int32Array): Promise<RunResult['inference']> {
  const batch = indices.subarray(0, Math.min(EVAL_BATCH, indices.length));
  if (batch.length === 0) return { msPerExample: null, batch: 0 };
  const { x, y } = source.batch(batch);
  y.dispose();
  const times: number[] = [];
  try {
    for (let i = 0; i <= INFERENCE_REPEATS; i++) {
      const start = performance.now();
      const logits = model.apply(x, { training: false }) as tf.Tensor;
      await logits.data();
      logits.dispose();
      if (i > 0) times.push(performance.now() - start);
    }
  } finally {
    tf.dispose(x);
  }
  return { msPerExample: quantile(times, 0.5) / batch.length, batch: batch.length };
}
