import * as tf from '../tf';
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
