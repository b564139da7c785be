/**
 * Each layer class's training-mode forward (fused kernels, as tfjs-layers computes it) and backward (reading stored
 * activations through views), on the layer's own variables: the steps network.ts schedules.
 */
import * as tf from '../../tf';
import type { BatchNormLayerInternals } from '../../backend-internals';
import {
  activationGradient, batchNormInputGradient, channelMoments, channelSums, materialize, maxPoolGradient, type ActivationView,
  type StoredSource,
} from '../../kernels/packed-activation-kernels';

export type Layer = tf.LayersModel['layers'][number];

/** tfjs-layers' LayerVariable, as far as we use it. */
interface LayerVariableLike {
  name: string;
  read(): tf.Variable;
  write(value: tf.Tensor): void;
}

export interface ForwardResult {
  output: tf.Tensor;
  /**
   * BatchNorm: x̂, the normalised input, kept (instead of its input or output) for the backward pass — as a view of
   * the input, so that network.ts writes it straight into the storage format (packed or float32).
   */
  kept?: ActivationView;
  /** Small per-channel tensors the backward needs (BatchNorm: 1/σ), kept in float32. */
  stats?: tf.Tensor[];
}

export interface BackwardValues {
  /** Views of the layer's inputs, when `needs.inputs`. */
  inputs: ActivationView[];
  /** A view of the layer's own output, when `needs.output`. */
  output: ActivationView | null;
  /** What forward() returned in `kept`, as stored, when `needs.kept`. */
  kept: StoredSource | null;
  /** What forward() returned in `stats`. */
  stats: tf.Tensor[];
  /** The shapes of the layer's inputs in the forward pass. */
  inputShapes: number[][];
}

export interface BackwardResult {
  /** Gradient for each input, or null where `wantInputGrads` said it is not needed. New tensors, owned by the caller. */
  inputGrads: (tf.Tensor | null)[];
  /** One gradient per entry of `LayerOps.weights`, same order. */
  weightGrads: tf.Tensor[];
}

/**
 * How the backward pass can read a layer's output without it being stored as such:
 * - 'view': a reshape of the input (Flatten);
 * - 'activation': relu of the input, capped at `cap` when not null (ReLU, ReLU6);
 * - 'kept': the kept tensor · scale + shift per channel (BatchNorm: γ·x̂ + β).
 */
export type OutputFrom =
  | { kind: 'view' }
  | { kind: 'activation'; cap: number | null }
  | { kind: 'kept'; scale: tf.Tensor; shift: tf.Tensor };

export interface LayerOps {
  readonly className: string;
  /** The layer's trainable variables, in layer.trainableWeights order. */
  readonly weights: tf.Variable[];
  /** What the backward reads besides the incoming gradient (network.ts's fusions below may change it). */
  readonly needs: { inputs: boolean; output: boolean; kept: boolean };
  /** Conv2D, DepthwiseConv2D, Dense: the activation fused into the layer. */
  readonly activation?: Activation;
  /**
   * Conv2D, DepthwiseConv2D, Dense with relu: the gradient arriving here has already been through relu's derivative
   * (a max-pool after the layer applied it), so the backward no longer reads the layer's output.
   */
  leaveActivationGradientToConsumer?(): void;
  /** MaxPooling2D: apply relu's derivative of the layer before it (see leaveActivationGradientToConsumer). */
  applyInputActivationGradient?(): void;
  /** null: the output has to be stored when the backward reads it. */
  readonly outputFrom: OutputFrom | null;
  /** Training-mode forward on fp32 inputs (BatchNorm also updates its moving averages here, once). */
  forward(inputs: tf.Tensor[]): ForwardResult;
  backward(dy: tf.Tensor, values: BackwardValues, wantInputGrads: boolean[]): BackwardResult;
}

export type Activation = 'relu' | 'linear';

function variablesOf(layer: Layer): LayerVariableLike[] {
  return layer.weights as unknown as LayerVariableLike[];
}

/** The layer's variable whose name ends in `/suffix` (tfjs-layers names them layerName/kernel, …/gamma, …). */
function weightNamed(layer: Layer, suffix: string): LayerVariableLike | null {
  return variablesOf(layer).find((w) => w.name.endsWith(`/${suffix}`)) ?? null;
}

function requireWeight(layer: Layer, suffix: string): LayerVariableLike {
  const weight = weightNamed(layer, suffix);
  if (!weight) throw new Error(`Layer ${layer.name} has no ${suffix} weight.`);
  return weight;
}

function activationOf(layer: Layer): Activation {
  const activation = layer.getConfig().activation ?? 'linear';
  if (activation !== 'relu' && activation !== 'linear') {
    throw new Error(`Layer ${layer.name}: activation ${String(activation)} is not supported with stored activations (relu or linear).`);
  }
  return activation;
}

function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number];
}

function padding(layer: Layer): 'same' | 'valid' {
  const pad = layer.getConfig().padding;
  if (pad !== 'same' && pad !== 'valid') throw new Error(`Layer ${layer.name}: padding ${String(pad)} is not supported.`);
  return pad;
}

function assertPlainConv(layer: Layer): void {
  const [dh, dw] = pair(layer.getConfig().dilationRate ?? 1);
  if (dh !== 1 || dw !== 1) throw new Error(`Layer ${layer.name}: dilated convolutions have no gradient in tfjs.`);
  if ((layer.getConfig().dataFormat ?? 'channelsLast') !== 'channelsLast') throw new Error(`Layer ${layer.name}: only channelsLast is supported.`);
  if ((layer.getConfig().depthMultiplier ?? 1) !== 1) throw new Error(`Layer ${layer.name}: only depth multiplier 1 is supported.`);
}

const lastDim = (t: tf.Tensor) => t.shape[t.rank - 1]!;

/** dy through a fused relu, read from the layer's stored output (output > 0 ⇔ pre-activation > 0); dy when linear. */
function throughActivation(dy: tf.Tensor, output: ActivationView | null, activation: Activation): tf.Tensor {
  return activation === 'relu' ? activationGradient(dy, output!, null) : dy;
}

/** Conv2D and DepthwiseConv2D: a registered gradient (Conv2D / DepthwiseConv2dNative) for input and kernel. */
function convOps(layer: Layer, depthwise: boolean): LayerOps {
  assertPlainConv(layer);
  const kernel = requireWeight(layer, depthwise ? 'depthwise_kernel' : 'kernel').read();
  const bias = weightNamed(layer, 'bias')?.read() ?? null;
  const activation = activationOf(layer);
  const strides = pair(layer.getConfig().strides);
  const pad = padding(layer);
  const gradient = tf.getGradient(depthwise ? 'DepthwiseConv2dNative' : 'Conv2D');
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
  const needs = { inputs: true, output: activation !== 'linear', kept: false };
  let backwardActivation = activation;
  return {
    className: layer.getClassName(),
    weights: bias ? [kernel, bias] : [kernel],
    needs,
    activation,
    leaveActivationGradientToConsumer() {
      backwardActivation = 'linear';
      needs.output = false;
    },
    outputFrom: null,
    forward([x]) {
      const inputs: tf.NamedTensorMap = bias ? { x: x!, filter: kernel, bias } : { x: x!, filter: kernel };
      const fusedAttrs = { ...attrs, activation } as unknown as tf.NamedAttrMap;
      return { output: tf.engine().runKernel(depthwise ? 'FusedDepthwiseConv2D' : 'FusedConv2D', inputs, fusedAttrs) as tf.Tensor };
    },
    backward(dy, { inputs: [xView], output }, [wantInputGrad]) {
      return tf.tidy(() => {
        const dPre = throughActivation(dy, output, backwardActivation);
        const grads = gradient.gradFunc(dPre, [materialize(xView!), kernel], attrs as unknown as tf.NamedAttrMap);
        const weightGrads = [grads.filter!()];
        if (bias) weightGrads.push(channelSums(dPre, lastDim(dPre), null).sums);
        return { inputGrads: [wantInputGrad ? grads.x!() : null], weightGrads } as unknown as tf.TensorContainerObject;
      }) as unknown as BackwardResult;
    },
  };
}

function denseOps(layer: Layer): LayerOps {
  const kernel = requireWeight(layer, 'kernel').read();
  const bias = weightNamed(layer, 'bias')?.read() ?? null;
  const activation = activationOf(layer);
  return {
    className: 'Dense',
    activation,
    weights: bias ? [kernel, bias] : [kernel],
    needs: { inputs: true, output: activation !== 'linear', kept: false },
    outputFrom: null,
    forward([x]) {
      if (x!.rank !== 2) throw new Error(`Layer ${layer.name}: Dense on a rank-${x!.rank} input is not supported here (flatten first).`);
      const inputs: tf.NamedTensorMap = bias ? { a: x!, b: kernel, bias } : { a: x!, b: kernel };
      const attrs = { transposeA: false, transposeB: false, activation } as unknown as tf.NamedAttrMap;
      return { output: tf.engine().runKernel('_FusedMatMul', inputs, attrs) as tf.Tensor };
    },
    backward(dy, { inputs: [xView], output }, [wantInputGrad]) {
      return tf.tidy(() => {
        const dPre = throughActivation(dy, output, activation) as tf.Tensor2D;
        const weightGrads = [tf.matMul(materialize(xView!) as tf.Tensor2D, dPre, true, false)];
        if (bias) weightGrads.push(channelSums(dPre, lastDim(dPre), null).sums);
        const inputGrads = [wantInputGrad ? tf.matMul(dPre, kernel as tf.Tensor2D, false, true) : null];
        return { inputGrads, weightGrads } as unknown as tf.TensorContainerObject;
      }) as unknown as BackwardResult;
    },
  };
}

/**
 * BatchNormalization in training mode: batch statistics over every axis but the channels, as tfjs-layers
 * (two-pass moments, biased variance, batchNorm); the moving averages are updated in forward() only. It keeps
 * x̂ = (x − μ)/σ for the backward rather than its input x: read back in half precision, x (a conv output, often with
 * |μ| ≫ σ) would lose most of its significant bits to the subtraction of μ, whereas x̂ is of unit scale. x̂ gives the
 * output (γ·x̂ + β) and the whole backward, with σ = √(var + ε):
 *   dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)),  dγ = Σ dy · x̂,  dβ = Σ dy.
 */
function batchNormOps(layer: Layer): LayerOps {
  const config = layer.getConfig();
  if (config.axis !== -1 && config.axis !== undefined) throw new Error(`Layer ${layer.name}: BatchNorm over axis ${String(config.axis)} is not supported (only the last).`);
  if (config.center === false || config.scale === false) throw new Error(`Layer ${layer.name}: BatchNorm without center and scale is not supported.`);
  const epsilon = config.epsilon as number;
  const gamma = requireWeight(layer, 'gamma').read();
  const beta = requireWeight(layer, 'beta').read();
  const movingMean = requireWeight(layer, 'moving_mean');
  const movingVariance = requireWeight(layer, 'moving_variance');
  return {
    className: 'BatchNormalization',
    weights: [gamma, beta],
    needs: { inputs: false, output: false, kept: true },
    outputFrom: { kind: 'kept', scale: gamma, shift: beta },
    forward([x]) {
      const channels = lastDim(x!);
      const { mean, variance } = channelMoments(x!);
      const output = tf.batchNorm(x!, mean, variance, beta, gamma, epsilon);
      const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
      // x̂ = x · (1/σ) − μ/σ. The [C] shift is freed with the forward pass's scope (network.ts runs it in a tidy).
      const shift = tf.tidy(() => tf.neg(tf.mul(mean, inverseStd)));
      const normalized: ActivationView = {
        source: { tensor: x!, packed: false }, shape: x!.shape, channels, affine: { scale: inverseStd, shift }, activation: 'linear', cap: null,
      };
      // Read at call time: the trainer adjusts momentum for gradient accumulation (batch-norm-statistics.ts).
      const decay = 1 - (layer as unknown as BatchNormLayerInternals).momentum;
      for (const [moving, batch] of [[movingMean, mean], [movingVariance, variance]] as const) {
        tf.tidy(() => {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), decay)));
        });
      }
      tf.dispose([mean, variance]);
      return { output, kept: normalized, stats: [inverseStd] };
    },
    backward(dy, { kept: normalized, stats: [inverseStd] }) {
      return tf.tidy(() => {
        const channels = lastDim(dy);
        const count = dy.size / channels;
        const { sums: dBeta, weightedSums: dGamma } = channelSums(dy, channels, normalized!);
        const dx = batchNormInputGradient(dy, normalized!, channels, tf.mul(gamma, inverseStd!), tf.div(dBeta, count),
          tf.div(dGamma!, count));
        return { inputGrads: [dx], weightGrads: [dGamma!, dBeta] } as unknown as tf.TensorContainerObject;
      }) as unknown as BackwardResult;
    },
  };
}

/** ReLU, optionally capped (ReLU6): tfjs-layers' relu then clipByValue; gradient where 0 < x ≤ cap, x the input. */
function reluOps(layer: Layer): LayerOps {
  const cap = (layer.getConfig().maxValue as number | null | undefined) ?? null;
  return {
    className: 'ReLU',
    weights: [],
    needs: { inputs: true, output: false, kept: false },
    outputFrom: { kind: 'activation', cap },
    // clip(x, 0, cap) = tfjs-layers' clip(relu(x), 0, cap) in one kernel.
    forward: ([x]) => ({ output: cap === null ? tf.relu(x!) : tf.clipByValue(x!, 0, cap) }),
    backward: (dy, { inputs: [xView] }, [wantInputGrad]) =>
      ({ inputGrads: [wantInputGrad ? activationGradient(dy, xView!, cap) : null], weightGrads: [] }),
  };
}

function addOps(layer: Layer): LayerOps {
  return {
    className: 'Add',
    weights: [],
    needs: { inputs: false, output: false, kept: false },
    outputFrom: null,
    forward: (inputs) => {
      if (inputs.length < 2) throw new Error(`Layer ${layer.name}: Add needs at least two inputs.`);
      return { output: tf.addN(inputs) };
    },
    backward: (dy, _values, want) => ({ inputGrads: want.map((w) => (w ? dy.clone() : null)), weightGrads: [] }),
  };
}

/** MaxPooling2D: its backward finds each window's maximum again in the input view (one fused kernel). */
function maxPoolOps(layer: Layer): LayerOps {
  const config = layer.getConfig();
  const filter = pair(config.poolSize);
  const strides = pair(config.strides ?? config.poolSize);
  const pad = padding(layer);
  let reluMask = false;
  return {
    className: 'MaxPooling2D',
    weights: [],
    needs: { inputs: true, output: false, kept: false },
    applyInputActivationGradient() {
      reluMask = true;
    },
    outputFrom: null,
    forward: ([x]) => ({ output: tf.maxPool(x as tf.Tensor4D, filter, strides, pad) }),
    backward(dy, { inputs: [xView], inputShapes: [shape] }, [wantInputGrad]) {
      if (!wantInputGrad) return { inputGrads: [null], weightGrads: [] };
      const { padInfo } = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], filter, strides, 1, pad);
      return { inputGrads: [maxPoolGradient(dy, xView!, { filter, strides, pad: [padInfo.top, padInfo.left], reluMask })], weightGrads: [] };
    },
  };
}

function flattenOps(): LayerOps {
  return {
    className: 'Flatten',
    weights: [],
    needs: { inputs: false, output: false, kept: false },
    outputFrom: { kind: 'view' },
    forward: ([x]) => ({ output: tf.reshape(x!, [x!.shape[0]!, -1]) }),
    backward: (dy, { inputShapes: [shape] }, [wantInputGrad]) => ({ inputGrads: [wantInputGrad ? tf.reshape(dy, shape!) : null], weightGrads: [] }),
  };
}

function globalAveragePoolOps(): LayerOps {
  return {
    className: 'GlobalAveragePooling2D',
    weights: [],
    needs: { inputs: false, output: false, kept: false },
    outputFrom: null,
    forward: ([x]) => ({ output: tf.mean(x!, [1, 2]) }),
    backward(dy, { inputShapes: [shape] }, [wantInputGrad]) {
      if (!wantInputGrad) return { inputGrads: [null], weightGrads: [] };
      const [n, h, w, c] = shape as [number, number, number, number];
      const dx = tf.tidy(() => tf.broadcastTo(tf.reshape(tf.div(dy, h * w), [n, 1, 1, c]), [n, h, w, c]));
      return { inputGrads: [dx], weightGrads: [] };
    },
  };
}

/** The ops of one layer, or an error naming the layer class that has no rule here. */
export function layerOps(layer: Layer): LayerOps {
  switch (layer.getClassName()) {
    case 'Conv2D':
      return convOps(layer, false);
    case 'DepthwiseConv2D':
      return convOps(layer, true);
    case 'Dense':
      return denseOps(layer);
    case 'BatchNormalization':
      return batchNormOps(layer);
    case 'ReLU':
      return reluOps(layer);
    case 'Add':
      return addOps(layer);
    case 'MaxPooling2D':
      return maxPoolOps(layer);
    case 'Flatten':
      return flattenOps();
    case 'GlobalAveragePooling2D':
      return globalAveragePoolOps();
    default:
      throw new Error(`Stored (packed) activations do not support layer class ${layer.getClassName()} (layer ${layer.name}).`);
  }
}
