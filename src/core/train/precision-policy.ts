import * as tf from '@tensorflow/tfjs';
import { float16RoundTrip } from './precision';

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/**
 * mixed-fp16 (emulated): every layer's output, and the gradient flowing back through it, is rounded to half
 * precision, as if activations were stored in fp16. The weights stay float32 (the master copy) and so do the tensors
 * themselves: this changes the numerics, not the memory.
 */
export function roundLayerOutputsToFloat16(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const target = layer as unknown as { call: LayerCall };
    const call = target.call.bind(layer);
    target.call = (inputs, kwargs) => {
      const outputs = call(inputs, kwargs);
      return Array.isArray(outputs) ? outputs.map((t) => float16RoundTrip(t)) : float16RoundTrip(outputs);
    };
  }
}

/**
 * Under gradient accumulation BatchNorm sees K micro-batches per optimizer step and updates its moving averages
 * once per micro-batch. Momentum m^(1/K) makes K updates decay the old average as much as one update at m would.
 * Batch statistics themselves are still per micro-batch: a known difference from a true large batch.
 * Returns the momentum now in use, or null when the model has no BatchNorm.
 */
export function adjustBatchNormMomentum(model: tf.LayersModel, accumulationSteps: number): number | null {
  let adjusted: number | null = null;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const bn = layer as unknown as { momentum: number };
    bn.momentum = bn.momentum ** (1 / accumulationSteps);
    adjusted = bn.momentum;
  }
  return adjusted;
}
