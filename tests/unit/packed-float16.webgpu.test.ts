/**
 * The packed-half kernels on tfjs's WebGPU backend in Node (Dawn; SwiftShader on machines without a GPU): the
 * round trip equals roundToFloat16 bit for bit (IEEE binary16: ties to even, subnormals, ±inf on overflow, NaN),
 * the words are the same as the cpu kernels', one dispatch per call, one pipeline per kernel and variant whatever
 * the shape, no leaked tensors.
 */
import * as tf from '../../src/core/tf';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describe, expect, it, vi } from 'vitest';
import { float32BitsToFloat16Bits, packFloat16, roundTripThroughFloat16, unpackFloat16 } from '../../src/core/kernels/packed-float16';
import { EDGE_CASES, firstMismatch, float32Cases, onBackendWithoutLeaks, padded, pipelineKeys } from './packed-float16-cases';

const ODD_CASES = float32Cases();
/** The same inputs padded to a multiple of 8: the vectorised pack (8 floats) and unpack (4 floats) shaders. */
const VEC_CASES = padded(ODD_CASES, 8);

const ourPipelines = () => pipelineKeys(/^(un)?packFloat16/);

onBackendWithoutLeaks('webgpu');

async function roundTrip(inputs: Float32Array): Promise<{ words: Uint32Array; unpacked: Float32Array }> {
  const x = tf.tensor1d(inputs);
  const packed = packFloat16(x);
  const back = unpackFloat16(packed);
  const words = new Uint32Array((await packed.words.data() as Int32Array).buffer);
  const unpacked = await back.data() as Float32Array;
  tf.dispose([x, packed.words, back]);
  return { words, unpacked };
}

describe('PackFloat16 / UnpackFloat16 on Node WebGPU', () => {
  it('round-trips ≈ 286k values to roundToFloat16 bit for bit: scalar shaders (odd length) and vec4 shaders', async () => {
    for (const inputs of [ODD_CASES, VEC_CASES]) {
      const { words, unpacked } = await roundTrip(inputs);
      expect(words.length).toBe(Math.ceil(inputs.length / 2));
      expect(firstMismatch(inputs, unpacked)).toBeNull();
      // Same words as the JavaScript algorithm (NaN payloads included), so cpu and webgpu runs store the same bits.
      const bits = new Uint32Array(inputs.buffer);
      const expectedWord = (i: number) => (float32BitsToFloat16Bits(bits[2 * i]!)
        | (2 * i + 1 < bits.length ? float32BitsToFloat16Bits(bits[2 * i + 1]!) << 16 : 0)) >>> 0;
      const mismatch = words.findIndex((w, i) => w !== expectedWord(i));
      expect(mismatch).toBe(-1);
    }
    const pipelines = ourPipelines();
    expect(pipelines.filter((key) => key.startsWith('packFloat16_vec4'))).toHaveLength(1);
    expect(pipelines.filter((key) => key.startsWith('unpackFloat16_vec4'))).toHaveLength(1);
    expect(pipelines).toHaveLength(4);
  });

  it('overflow gives ±inf (WGSL\'s pack2x16float gave NaN on Dawn/SwiftShader, see fp16-kernels.ts), subnormals and signed zeros are exact', async () => {
    const inputs = Float32Array.from([...EDGE_CASES.map((c) => c.x), NaN]);
    const { unpacked } = await roundTrip(inputs);
    EDGE_CASES.forEach(({ x, expected }, i) => {
      if (!Object.is(unpacked[i], expected)) expect.fail(`${x} → ${unpacked[i]}, expected ${expected}`);
    });
    expect(unpacked[EDGE_CASES.length]).toBeNaN();
  });

  it('one dispatch per call, the logical shape kept, one pipeline per variant for every shape and rank', async () => {
    const run = vi.spyOn(tf.backend() as WebGPUBackend, 'runWebGPUProgram');
    const before = ourPipelines().length;
    try {
      for (const shape of [[64, 14, 14, 16], [7, 12], [3, 5, 7], [5]]) {
        const x = tf.randomUniform(shape, -70000, 70000);
        const inputs = await x.data() as Float32Array;
        run.mockClear();
        const packed = packFloat16(x);
        const back = unpackFloat16(packed);
        expect(run).toHaveBeenCalledTimes(2);
        expect(back.shape).toEqual(shape);
        expect(Array.from(await back.data())).toEqual(Array.from(inputs, roundTripThroughFloat16));
        tf.dispose([x, packed.words, back]);
      }
    } finally {
      run.mockRestore();
    }
    expect(ourPipelines().length).toBe(before);
  });
});
