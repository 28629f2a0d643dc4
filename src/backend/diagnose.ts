/**
 * What `crops doctor` reports per backend: whether it loads here and what it runs on, or why not.
 * It asks the backend plugin itself (probe, activate, describe), so it knows no backend by name.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backend } from '../extension-points/backend.ts';

export interface BackendDiagnosis {
  name: string;
  ok: boolean;
  /** ok: versions and the device it runs on; otherwise why it does not load */
  details: string;
  /** measured single-precision throughput of a 512×512 matMul, when it loaded */
  gflops?: number;
}

/**
 * Throughput of `[n, n] × [n, n]` in GFLOP/s: one warm-up product (kernel compilation, uploads), then
 * products read back asynchronously until `budgetMs` has passed (at least one).
 */
export async function matMulGflops(n = 512, budgetMs = 300): Promise<number> {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  try {
    const once = async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    };
    await once();
    let reps = 0;
    const start = performance.now();
    do {
      await once();
      reps++;
    } while (performance.now() - start < budgetMs);
    return (2 * n ** 3 * reps) / ((performance.now() - start) * 1e6);
  } finally {
    tf.dispose([a, b]);
  }
}

/** Loads `backend` (making it the active one) and measures it, or says why it does not load. */
export async function diagnoseBackend(name: string, backend: Backend): Promise<BackendDiagnosis> {
  const probe = await backend.probe();
  if (!probe.available) return { name, ok: false, details: probe.reason ?? 'not available here' };
  try {
    await backend.activate();
  } catch (e) {
    return { name, ok: false, details: `installed, but does not load: ${(e as Error).message.split('\n')[0]}` };
  }
  const gflops = await matMulGflops();
  const details = (await backend.describe?.()) ?? '';
  return { name, ok: true, details, gflops };
}
