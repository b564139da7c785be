/**
 * Shared by packed-network.test.ts (cpu) and packed-network.webgpu.test.ts: two copies of a zoo model from the same
 * seed, one trained step's loss and weight gradients by tfjs's autodiff of the LayersModel and by the
 * stored-activation network, and how far apart they are.
 */
import * as tf from '../../src/core/tf';
import type { ModelName } from '../../src/core/config';
import { MODEL_BUILDERS, type InputShape } from '../../src/core/models';
import { buildStoredActivationNetwork, type ActivationStorage, type PlanSummary } from '../../src/core/train/stored-activations/network';
import { createRng } from '../../src/core/rng';

type Forward = (x: tf.Tensor) => tf.Tensor;

/** Loss and gradients (in `variables` order) of softmax cross-entropy, as the trainer computes them. */
async function lossAndGrads(forward: Forward, variables: tf.Variable[], x: tf.Tensor, y: tf.Tensor) {
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, variables);
  const loss = (await value.data())[0]!;
  const values = await Promise.all(variables.map(async (v) => (await grads[v.name]!.data()) as Float32Array));
  tf.dispose([value, grads]);
  return { loss, grads: values };
}

function norm(a: Float32Array): number {
  let sum = 0;
  for (const v of a) sum += v * v;
  return Math.sqrt(sum);
}

/**
 * ‖a − b‖ / max(‖b‖, floor). The floor (a thousandth of the whole gradient's norm) is for gradients that are zero in
 * exact arithmetic and only rounding noise in both: the beta of a BatchNorm whose output reaches the loss only
 * through a 1×1 conv and another BatchNorm, which removes any per-channel shift.
 */
function relativeError(a: Float32Array, b: Float32Array, floor: number): number {
  let diff = 0;
  for (let i = 0; i < b.length; i++) diff += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(diff) / Math.max(norm(b), floor);
}

export interface GradientComparison {
  referenceLoss: number;
  loss: number;
  /** Per trainable weight of the reference model: its name and the relative error of the network's gradient. */
  errors: { name: string; error: number }[];
  /** ‖g − g_ref‖ / ‖g_ref‖ over all weight gradients together. */
  totalError: number;
  /** Relative difference of each BatchNorm moving statistic after the step (floor 1e-3: some batch means are zero). */
  movingStatErrors: number[];
  plan: PlanSummary[];
}

/** Every storage's comparison with one autodiff reference: the reference model is built and differentiated once. */
export async function compareStoragesWithAutodiff(name: ModelName, storages: readonly ActivationStorage[], input: InputShape,
  batch: number): Promise<GradientComparison[]> {
  const build = () => MODEL_BUILDERS[name].build(input, 10, createRng(11));
  const moving = (m: tf.LayersModel) => Promise.all(m.weights.filter((w) => !w.trainable).map(async (w) => (await w.read().data()) as Float32Array));
  const reference = build();
  const { x, y } = tf.tidy(() => ({
    x: tf.randomUniform([batch, input.height, input.width, input.channels], 0, 1, 'float32', 5),
    y: tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % 10), 'int32'), 10).toFloat(),
  }));
  try {
    const expected = await lossAndGrads((t) => reference.apply(t, { training: true }) as tf.Tensor,
      reference.trainableWeights.map((w) => w.read() as tf.Variable), x, y);
    const referenceMoving = await moving(reference);
    const totalNorm = Math.hypot(...expected.grads.map(norm));
    const floor = 1e-3 * totalNorm;
    const comparisons: GradientComparison[] = [];
    for (const storage of storages) {
      // A fresh copy per storage: the step moves BatchNorm's averages, which are compared after exactly one step.
      const model = build();
      try {
        const network = buildStoredActivationNetwork(model, storage);
        const actual = await lossAndGrads((t) => network.apply(t), network.variables, x, y);
        const modelMoving = await moving(model);
        comparisons.push({
          referenceLoss: expected.loss,
          loss: actual.loss,
          totalError: Math.hypot(...expected.grads.map((g, i) => relativeError(actual.grads[i]!, g, 0) * norm(g))) / totalNorm,
          errors: reference.trainableWeights.map((w, i) => ({ name: w.name, error: relativeError(actual.grads[i]!, expected.grads[i]!, floor) })),
          movingStatErrors: referenceMoving.map((values, i) => relativeError(modelMoving[i]!, values, 1e-3)),
          plan: network.plan(),
        });
      } finally {
        model.dispose();
      }
    }
    return comparisons;
  } finally {
    tf.dispose([x, y]);
    reference.dispose();
  }
}

/** One storage's comparison (compareStoragesWithAutodiff). */
export async function compareWithAutodiff(name: ModelName, storage: ActivationStorage, input: InputShape, batch: number): Promise<GradientComparison> {
  return (await compareStoragesWithAutodiff(name, [storage], input, batch))[0]!;
}

/** The whole gradient's error, the largest per-weight error and the median, for the [measure] line. */
export function summarizeErrors({ errors, totalError }: GradientComparison): string {
  const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
  const median = errors.map((e) => e.error).sort((a, b) => a - b)[errors.length >> 1]!;
  return `gradient error ${totalError.toExponential(1)} overall; per weight: worst ${worst.error.toExponential(1)} (${worst.name}), `
    + `median ${median.toExponential(1)}`;
}

/**
 * Half precision keeps 11 significant bits, so each stored value is within 2^-11 (≈ 5e-4) of the fp32 one. The whole
 * weight gradient stays within 1 %. A single weight's gradient can move more, for two reasons: cancellation (a sum of
 * many products that nearly cancel, such as a BatchNorm γ gradient at initialisation, keeps the products' absolute
 * errors but loses magnitude) and max-pooling (the backward finds each window's maximum again in the stored halves;
 * where a window's two largest values are closer than half precision resolves, the gradient goes to the other one).
 * Hence 5 % per weight.
 */
export const HALF_PRECISION_TOLERANCE = { total: 1e-2, perWeight: 5e-2 };
