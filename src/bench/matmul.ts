/**
 * The yardstick for "how much of this adapter does training use": the throughput of tf.matMul on square float32
 * matrices on the active backend. One warm-up multiplication compiles the shader; then `reps` multiplications are
 * queued back to back and only the last is read back (the queue runs in order, so that read waits for all of them).
 * `reps` grows until one timing lasts at least `minMs`, so the read-back and dispatch overhead are small beside it.
 * A multiply-add counts as 2 FLOPs, as in src/core/models/analysis.ts: n×n by n×n is 2·n³ FLOPs.
 */
import * as tf from '../core/tf';
import type { MatmulSizeResult } from './types';

const MAX_REPS = 4096;

async function timeReps(a: tf.Tensor2D, b: tf.Tensor2D, reps: number): Promise<number> {
  const start = performance.now();
  let last: tf.Tensor2D | null = null;
  for (let i = 0; i < reps; i++) {
    last?.dispose();
    last = tf.matMul(a, b);
  }
  await last!.data();
  const ms = performance.now() - start;
  last!.dispose();
  return ms;
}

export async function measureMatmul(size: number, minMs: number): Promise<MatmulSizeResult> {
  const a = tf.randomUniform([size, size], -1, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomUniform([size, size], -1, 1, 'float32', 2) as tf.Tensor2D;
  try {
    await timeReps(a, b, 1); // compile and warm up
    let reps = 1;
    let ms = await timeReps(a, b, reps);
    while (ms < minMs && reps < MAX_REPS) {
      // Aim a little past minMs so that one more round usually suffices.
      reps = Math.min(MAX_REPS, Math.max(reps * 2, Math.ceil(reps * (1.2 * minMs) / Math.max(ms, 1))));
      ms = await timeReps(a, b, reps);
    }
    // One more timing at the same count; keep the faster (the other may have met a background hiccup).
    ms = Math.min(ms, await timeReps(a, b, reps));
    return { size, reps, ms, gflops: (2 * size ** 3 * reps) / (ms / 1000) / 1e9 };
  } finally {
    tf.dispose([a, b]);
  }
}
