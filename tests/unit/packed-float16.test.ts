/**
 * Packed half storage on tfjs's CPU backend: the JavaScript conversion (which the cpu kernels run and the WGSL
 * translates) against roundToFloat16, the kernels' packing layout, odd sizes, shapes and no leaked tensors.
 * The webgpu kernels are checked the same way in packed-float16.webgpu.test.ts.
 */
import * as tf from '../../src/core/tf';
import { describe, expect, it } from 'vitest';
import {
  float16BitsToFloat32Bits, float32BitsToFloat16Bits, hasPackedFloat16Kernels, packFloat16, roundTripThroughFloat16,
  unpackFloat16,
} from '../../src/core/kernels/packed-float16';
import { EDGE_CASES, decodeHalf, firstMismatch, float32Cases, onBackendWithoutLeaks } from './packed-float16-cases';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number) => {
  f32[0] = x;
  return u32[0]!;
};

const CASES = float32Cases();

onBackendWithoutLeaks('cpu');

describe('float32 ↔ binary16 bits (JavaScript, run by the cpu kernels)', () => {
  it('decodes every one of the 65536 half patterns exactly and encodes each back to itself (NaN to a NaN)', () => {
    for (let h = 0; h < 0x10000; h++) {
      u32[0] = float16BitsToFloat32Bits(h);
      const value = f32[0]!;
      const expected = decodeHalf(h);
      if (Number.isNaN(expected)) {
        expect(value).toBeNaN();
        const back = float32BitsToFloat16Bits(u32[0]!);
        expect((back & 0x7c00) === 0x7c00 && (back & 0x3ff) !== 0).toBe(true);
      } else {
        if (!Object.is(value, expected)) expect.fail(`half 0x${h.toString(16)} → ${value}, expected ${expected}`);
        if (float32BitsToFloat16Bits(u32[0]!) !== h) expect.fail(`half 0x${h.toString(16)} does not encode back to itself`);
      }
    }
  });

  it('rounds ≈ 286k float32 values as IEEE binary16 does (nearest, ties to even, subnormals, ±inf on overflow)', () => {
    expect(firstMismatch(CASES, CASES.map(roundTripThroughFloat16))).toBeNull();
  });

  it.each(EDGE_CASES)('$x → $expected', ({ x, expected }) => {
    expect(Object.is(roundTripThroughFloat16(x), expected)).toBe(true);
  });

  it('keeps NaN a NaN', () => {
    expect(roundTripThroughFloat16(NaN)).toBeNaN();
    expect(float32BitsToFloat16Bits(bitsOf(NaN)) & 0x7e00).toBe(0x7e00);
  });
});

describe('PackFloat16 / UnpackFloat16 kernels on cpu', () => {
  it('has both kernels on cpu and webgpu, none on webgl', () => {
    expect(hasPackedFloat16Kernels('cpu')).toBe(true);
    expect(hasPackedFloat16Kernels('webgpu')).toBe(true);
    expect(hasPackedFloat16Kernels('webgl')).toBe(false);
  });

  it('stores element 2i in the low and 2i+1 in the high half of word i, and pads an odd size with 0', async () => {
    const x = tf.tensor1d([1, -2, 65504, 0.5, 3]);
    const packed = packFloat16(x);
    expect(packed.words.dtype).toBe('int32');
    expect(packed.words.shape).toEqual([3]);
    const words = Array.from(await packed.words.data(), (w) => w >>> 0);
    expect(words).toEqual([0x3c00 | (0xc000 << 16), 0x7bff | (0x3800 << 16), 0x4200].map((w) => w >>> 0));
    tf.dispose([x, packed.words]);
  });

  it('round-trips ≈ 286k values (odd count) through packed words to roundToFloat16, bit for bit', async () => {
    expect(CASES.length % 2).toBe(1);
    const x = tf.tensor1d(CASES);
    const packed = packFloat16(x);
    expect(packed.words.size).toBe((CASES.length + 1) / 2);
    const back = unpackFloat16(packed);
    expect(firstMismatch(CASES, await back.data())).toBeNull();
    tf.dispose([x, packed.words, back]);
  });

  it('keeps the logical shape: [2, 3, 5, 3] packs into 45 words and unpacks to the same shape', async () => {
    const x = tf.randomNormal([2, 3, 5, 3], 0, 100, 'float32', 4);
    const packed = packFloat16(x);
    expect(packed.shape).toEqual([2, 3, 5, 3]);
    expect(packed.words.shape).toEqual([45]);
    const back = unpackFloat16(packed);
    expect(back.shape).toEqual([2, 3, 5, 3]);
    const values = await x.data();
    expect(Array.from(await back.data())).toEqual(Array.from(values, roundTripThroughFloat16));
    tf.dispose([x, packed.words, back]);
  });

  it('refuses a shape that the words cannot hold', () => {
    const x = tf.zeros([6]);
    const packed = packFloat16(x);
    expect(() => unpackFloat16({ words: packed.words, shape: [8] })).toThrow(/3 words hold 5 or 6 halves, not shape \[8\]/);
    tf.dispose([x, packed.words]);
  });
});
