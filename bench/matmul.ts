import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/core/rng.ts';
import { checkNoLeak, timeRuns, uniform, type BenchContext, type Figure, type Measurement } from './common.ts';

/** Best GFLOP/s of an `n x n` float32 matMul on the active backend, after warm-up. */
export async function matMulPeak(n: number, runs: number): Promise<{ gflops: number; bestMs: number; n: number }> {
  const before = tf.memory().numTensors;
  const rng = new Rng('bench:matmul');
  const a = tf.tensor2d(uniform(n * n, rng), [n, n]);
  const b = tf.tensor2d(uniform(n * n, rng), [n, n]);
  try {
    const times = await timeRuns(
      async () => {
        const c = tf.matMul(a, b);
        // reading back forces the (possibly asynchronous) kernel to finish inside the timing; an
        // asynchronous read, since WebGPU has no cheap synchronous one
        await c.data();
        c.dispose();
      },
      runs,
      2,
    );
    const bestMs = Math.min(...times);
    return { gflops: (2 * n ** 3) / (bestMs * 1e6), bestMs, n };
  } finally {
    tf.dispose([a, b]);
    checkNoLeak(before, 'matMul peak');
  }
}

/** Figures of the peak measurement; also stores the peak in the context for the other modules. */
export const matmul: Measurement = {
  name: 'matmul',
  needsPeak: false,
  async run(ctx: BenchContext): Promise<Figure[]> {
    const { gflops, bestMs, n } = await matMulPeak(ctx.quick ? 512 : 1024, ctx.quick ? 3 : 6);
    ctx.peakGflops = gflops;
    return [
      { id: 'matmul.peakGflops', label: `matMul ${n}x${n} f32, best of runs`, value: gflops, unit: 'GFLOP/s', note: `2n³ flops in ${bestMs.toFixed(1)} ms` },
    ];
  },
};
