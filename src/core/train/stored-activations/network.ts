/**
 * fp16-activations: the LayersModel trained through one tf.customGrad with its own backward (layer-ops.ts), keeping what
 * the backward reads as packed binary16 (why and how: docs/architecture.md, "Kernels").
 */
import * as tf from '../../tf';
import { flushPendingReleases } from '../../measure/webgpu-buffers';
import type { MemoryEstimate } from '../../models/analysis';
import {
  hasPackedActivationKernels, materialize, packView, type ActivationView, type StoredSource,
} from '../../kernels/packed-activation-kernels';
import { hasPackedFloat16Kernels, packFloat16 } from '../../kernels/packed-float16';
import { layerOps, type Layer, type LayerOps } from './layer-ops';

export const ACTIVATION_STORAGES = ['float16-packed', 'float32'] as const;
export type ActivationStorage = (typeof ACTIVATION_STORAGES)[number];

/** Index standing for the model's input in a node's input list. */
const MODEL_INPUT = -1;

/**
 * What a layer keeps for the backward pass: its output ('stored', packed or fp32); its own kept tensor, from which
 * the output derives ('derived': BatchNorm's x̂); nothing because its output is read through a view of its input
 * ('activation': ReLU, 'view': Flatten); or nothing at all ('unneeded').
 */
export type Keeping = 'stored' | 'derived' | 'activation' | 'view' | 'unneeded';

interface PlanNode {
  name: string;
  ops: LayerOps;
  /** Producer node indices (MODEL_INPUT for the model's input). */
  inputs: number[];
  keeping: Keeping;
  /** The node has trainable weights itself or upstream: its backward step runs. */
  runsBackward: boolean;
  /** Per input: its gradient is needed (false for the model's input and inputs with no weight upstream). */
  wantInputGrads: boolean[];
  /** Stored nodes whose last reader in the backward pass is this node's step: freed right after it. */
  releaseAfter: number[];
}

export interface PlanSummary {
  layer: string;
  className: string;
  keeping: Keeping;
  /** Elements per example of what the layer keeps for the backward pass (0 when it keeps nothing). */
  keptElementsPerExample: number;
}

export interface StoredActivationNetwork {
  readonly storage: ActivationStorage;
  /** The model's trainable variables (model.trainableWeights order): apply()'s gradients flow to these. */
  readonly variables: tf.Variable[];
  /**
   * Training-mode forward (BatchNorm uses batch statistics and updates its moving averages) returning the logits;
   * differentiable with respect to `variables` (use inside optimizer.computeGradients). Not for inference: use the
   * LayersModel itself there, it shares the variables.
   */
  apply(x: tf.Tensor): tf.Tensor;
  /** What each layer keeps for the backward pass. */
  plan(): PlanSummary[];
}

type NodeAware = Layer & { inboundNodes: { inboundLayers: Layer[] }[] };

function buildPlan(model: tf.LayersModel): { nodes: PlanNode[]; inputNeeded: boolean } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error('Stored activations need a model with one input and one output.');
  }
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  const indexOf = new Map(layers.map((layer, i) => [layer, i]));
  const nodes: PlanNode[] = layers.map((layer, i) => {
    const inbound = (layer as NodeAware).inboundNodes;
    if (inbound.length !== 1) throw new Error(`Layer ${layer.name} is used ${inbound.length} times; stored activations need each layer once.`);
    const inputs = inbound[0]!.inboundLayers.map((source) => {
      if (source.getClassName() === 'InputLayer') return MODEL_INPUT;
      const index = indexOf.get(source);
      if (index === undefined || index >= i) throw new Error(`Layer ${layer.name} reads ${source.name}, which is not before it in the model.`);
      return index;
    });
    return { name: layer.name, ops: layerOps(layer), inputs, keeping: 'unneeded', runsBackward: false, wantInputGrads: [], releaseAfter: [] };
  });
  if (model.outputs[0]!.sourceLayer !== layers.at(-1)) throw new Error('The model\'s output must be its last layer.');

  // A relu layer read only by a max-pool: the pool's backward applies relu's derivative (its gradient is zero off
  // each window's maximum anyway), so the layer does not keep its output for its own backward.
  const readers = new Map<number, number>();
  for (const node of nodes) for (const input of node.inputs) readers.set(input, (readers.get(input) ?? 0) + 1);
  for (const node of nodes) {
    const [input] = node.inputs;
    const producer = input === undefined || input === MODEL_INPUT ? null : nodes[input]!;
    if (node.ops.applyInputActivationGradient && producer?.ops.activation === 'relu' && readers.get(input!) === 1) {
      producer.ops.leaveActivationGradientToConsumer!();
      node.ops.applyInputActivationGradient();
    }
  }

  const hasWeightsUpstream = (i: number) => i !== MODEL_INPUT && nodes[i]!.runsBackward;
  for (const node of nodes) {
    node.runsBackward = node.ops.weights.length > 0 || node.inputs.some(hasWeightsUpstream);
    node.wantInputGrads = node.inputs.map(hasWeightsUpstream);
  }

  // A view is one activation at most over what is stored: a ReLU can be read through its input's view only if that
  // view (through Flatten views) has no activation yet.
  const hasActivation = (i: number): boolean => {
    if (i === MODEL_INPUT) return false;
    const from = nodes[i]!.ops.outputFrom;
    return from?.kind === 'activation' || (from?.kind === 'view' && hasActivation(nodes[i]!.inputs[0]!));
  };

  // Which outputs the backward reads, then how each is kept (reverse order: a view needs its input).
  const needed = new Set<number>();
  for (const [i, node] of nodes.entries()) {
    if (!node.runsBackward) continue;
    if (node.ops.needs.inputs) node.inputs.forEach((input) => needed.add(input));
    if (node.ops.needs.output) needed.add(i);
  }
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const from = node.ops.outputFrom;
    if (from?.kind === 'kept' && node.runsBackward) node.keeping = 'derived';
    if (!needed.has(i) || node.keeping === 'derived') continue;
    if (from?.kind === 'view' || (from?.kind === 'activation' && !hasActivation(node.inputs[0]!))) {
      node.keeping = from.kind;
      node.inputs.forEach((input) => needed.add(input));
    } else {
      node.keeping = 'stored';
    }
  }

  // The stored tensors behind a node's output: its own, or those of the input it is a view of.
  const storedRoots = (i: number): number[] => {
    if (i === MODEL_INPUT) return [];
    const node = nodes[i]!;
    return node.keeping === 'stored' || node.keeping === 'derived' ? [i] : node.inputs.flatMap(storedRoots);
  };
  const lastReader = new Map<number, number>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.runsBackward) continue;
    const { needs } = node.ops;
    const reads = [...(needs.inputs ? node.inputs : []), ...(needs.output ? [i] : [])].flatMap(storedRoots);
    if (needs.kept) reads.push(i);
    for (const root of reads) lastReader.set(root, i); // the backward walks down: the lowest i reads last
  }
  for (const [stored, reader] of lastReader) nodes[reader]!.releaseAfter.push(stored);
  return { nodes, inputNeeded: needed.has(MODEL_INPUT) };
}

/** Where the forward pass put what the backward reads, as indices into customGrad's `saved` list. */
interface SavedLayout {
  input: number | null;
  stored: Map<number, number>;
  stats: Map<number, number[]>;
  inputShapes: number[][][];
  outputShapes: number[][];
}

const elementsPerExample = (shape: readonly (number | null)[]) => shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);

function summarize(model: tf.LayersModel, nodes: PlanNode[]): PlanSummary[] {
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  return nodes.map((node, i) => ({
    layer: node.name,
    className: node.ops.className,
    keeping: node.keeping,
    keptElementsPerExample: node.keeping === 'stored' || node.keeping === 'derived'
      ? elementsPerExample(layers[i]!.outputShape as (number | null)[]) : 0,
  }));
}

/**
 * Bytes of activations kept from the forward to the backward pass at a micro-batch size: the layers' kept tensors
 * (packed: ⌈n/2⌉ words of 4 bytes) and the model input (float32, when a layer's gradient reads it).
 */
export function keptActivationBytes(model: tf.LayersModel, batchSize: number, storage: ActivationStorage = 'float16-packed'): number {
  const { nodes, inputNeeded } = buildPlan(model);
  const inputBytes = inputNeeded ? 4 * batchSize * elementsPerExample(model.inputs[0]!.shape) : 0;
  return summarize(model, nodes).reduce((sum, { keptElementsPerExample: n }) =>
    sum + (storage === 'float16-packed' ? 4 * Math.ceil((n * batchSize) / 2) : 4 * n * batchSize), inputBytes);
}

/** An fp32 memory estimate (analyzeModel) with its activations replaced by what the stored-activation network keeps. */
export function estimateWithKeptActivations(estimate: MemoryEstimate, model: tf.LayersModel, storage: ActivationStorage = 'float16-packed'): MemoryEstimate {
  const activationsBytes = keptActivationBytes(model, estimate.microBatch, storage);
  return { ...estimate, activationsBytes, totalBytes: estimate.totalBytes - estimate.activationsBytes + activationsBytes };
}

/**
 * Wraps `model` (built by a MODEL_BUILDERS entry: Conv2D, DepthwiseConv2D, Dense, BatchNormalization, ReLU, Add,
 * MaxPooling2D, Flatten, GlobalAveragePooling2D) for training with stored activations on the active backend, which
 * must have the packed-half kernels (webgpu, cpu). Throws a clear error otherwise, and on any other layer. The model
 * keeps owning its variables: dispose the model, not this.
 */
export function buildStoredActivationNetwork(model: tf.LayersModel, storage: ActivationStorage = 'float16-packed'): StoredActivationNetwork {
  const backend = tf.getBackend();
  if (!hasPackedFloat16Kernels(backend) || !hasPackedActivationKernels(backend)) {
    throw new Error(`fp16-activations needs the packed-half kernels, which exist for the webgpu and cpu backends; this run got ${backend}. `
      + 'Choose backend webgpu (or cpu), or another precision.');
  }
  const { nodes, inputNeeded } = buildPlan(model);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const covered = new Set(nodes.flatMap((node) => node.ops.weights));
  const missing = variables.filter((v) => !covered.has(v));
  if (missing.length > 0) throw new Error(`Stored activations: no gradient rule for ${missing.map((v) => v.name).join(', ')}.`);
  const last = nodes.length - 1;
  const packed = storage === 'float16-packed';

  function forward(x: tf.Tensor, toSave: tf.Tensor[]): { output: tf.Tensor; layout: SavedLayout } {
    const layout: SavedLayout = { input: null, stored: new Map(), stats: new Map(), inputShapes: [], outputShapes: [] };
    if (inputNeeded) layout.input = toSave.push(x) - 1;
    const readersLeft = new Map<number, number>();
    for (const node of nodes) for (const input of node.inputs) readersLeft.set(input, (readersLeft.get(input) ?? 0) + 1);
    const values = new Map<number, tf.Tensor>([[MODEL_INPUT, x]]);
    for (const [i, node] of nodes.entries()) {
      const inputs = node.inputs.map((input) => values.get(input)!);
      const { output, kept, stats } = node.ops.forward(inputs);
      layout.inputShapes.push(inputs.map((t) => t.shape));
      layout.outputShapes.push(output.shape);
      if (node.keeping === 'stored') layout.stored.set(i, toSave.push(packed ? packFloat16(output).words : output.clone()) - 1);
      if (node.keeping === 'derived') layout.stored.set(i, toSave.push(packed ? packView(kept!) : materialize(kept!)) - 1);
      if (stats && node.runsBackward) layout.stats.set(i, stats.map((t) => toSave.push(t) - 1));
      values.set(i, output);
      // A float32 value dies as soon as its last reader in the forward pass has run.
      for (const input of node.inputs) {
        const left = readersLeft.get(input)! - 1;
        readersLeft.set(input, left);
        if (left === 0 && input !== MODEL_INPUT) values.get(input)!.dispose();
      }
      flushPendingReleases();
    }
    return { output: values.get(last)!, layout };
  }

  function backward(dy: tf.Tensor, saved: tf.Tensor[], layout: SavedLayout): tf.Tensor[] {
    return tf.tidy(() => {
      const statsOf = (i: number) => (layout.stats.get(i) ?? []).map((k) => saved[k]!);
      const storedOf = (i: number): StoredSource => ({ tensor: saved[layout.stored.get(i)!]!, packed });
      /** How the backward reads node i's output (or the model input) without materialising it. */
      const viewOf = (i: number): ActivationView => {
        if (i === MODEL_INPUT) {
          const input = saved[layout.input!]!;
          return { source: { tensor: input, packed: false }, shape: input.shape, channels: input.shape[input.rank - 1]!, affine: null, activation: 'linear', cap: null };
        }
        const node = nodes[i]!;
        const shape = layout.outputShapes[i]!;
        const from = node.ops.outputFrom;
        switch (node.keeping) {
          case 'stored':
            return { source: storedOf(i), shape, channels: shape[shape.length - 1]!, affine: null, activation: 'linear', cap: null };
          case 'derived': {
            if (from?.kind !== 'kept') throw new Error(`Layer ${node.name} keeps no tensor its output derives from.`);
            return { source: storedOf(i), shape, channels: shape[shape.length - 1]!, affine: { scale: from.scale, shift: from.shift }, activation: 'linear', cap: null };
          }
          case 'activation':
            return { ...viewOf(node.inputs[0]!), activation: 'relu', cap: from?.kind === 'activation' ? from.cap : null };
          case 'view':
            return { ...viewOf(node.inputs[0]!), shape };
          default:
            throw new Error(`Layer ${node.name}: its output was not kept for the backward pass.`);
        }
      };
      const accumulate = (grads: Map<number, tf.Tensor>, key: number, grad: tf.Tensor) => {
        const previous = grads.get(key);
        grads.set(key, previous ? tf.add(previous, grad) : grad);
        if (previous) tf.dispose([previous, grad]);
      };
      const outputGrads = new Map<number, tf.Tensor>([[last, dy.clone()]]);
      const weightGrads = new Map<tf.Variable, tf.Tensor>();
      for (let i = last; i >= 0; i--) {
        const node = nodes[i]!;
        const grad = outputGrads.get(i);
        outputGrads.delete(i);
        if (!grad) continue;
        if (node.runsBackward) {
          const { needs } = node.ops;
          const result = node.ops.backward(grad, {
            inputs: needs.inputs ? node.inputs.map(viewOf) : [],
            output: needs.output ? viewOf(i) : null,
            kept: needs.kept ? storedOf(i) : null,
            stats: statsOf(i),
            inputShapes: layout.inputShapes[i]!,
          }, node.wantInputGrads);
          node.ops.weights.forEach((w, k) => weightGrads.set(w, result.weightGrads[k]!));
          result.inputGrads.forEach((dx, k) => {
            if (dx) accumulate(outputGrads, node.inputs[k]!, dx);
          });
          // Disposing a saved tensor early is safe: the tape disposes `saved` again at the end, which is a no-op.
          for (const stored of node.releaseAfter) saved[layout.stored.get(stored)!]!.dispose();
        }
        grad.dispose();
        flushPendingReleases();
      }
      tf.dispose([...outputGrads.values()]);
      return variables.map((v) => weightGrads.get(v)!);
    });
  }

  return {
    storage,
    variables,
    apply(x) {
      const op = tf.customGrad((...args) => {
        const save = args[args.length - 1] as tf.GradSaveFunc;
        const toSave: tf.Tensor[] = [];
        const { output, layout } = forward(x, toSave);
        save(toSave);
        return { value: output, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy, saved, layout) };
      });
      return op(...variables);
    },
    plan: () => summarize(model, nodes),
  };
}
