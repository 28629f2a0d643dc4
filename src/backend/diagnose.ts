/**
 * What `crops doctor` reports per backend: whether it loads here and what it runs on, or why not.
 * Loading goes through `activateBackend`; this module only inspects what that loaded.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { visibleNvidiaGpus } from './gpu.ts';
import { activateBackend, probeBackend, wasmThreadCount, type BackendName } from './tf.ts';
import { DAWN_PACKAGE, findWebGpuAdapter, TFJS_WEBGPU_PACKAGE } from './webgpu.ts';

export interface BackendDiagnosis {
  name: BackendName;
  ok: boolean;
  /** ok: versions and the device it runs on; otherwise why it does not load */
  details: string;
  /** measured single-precision throughput of a 512×512 matMul, when it loaded */
  gflops?: number;
}

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return `${pkg} ${(require(`${pkg}/package.json`) as { version: string }).version}`;
  } catch {
    return pkg;
  }
}

const PACKAGES: Record<BackendName, string[]> = {
  'tensorflow-gpu': ['@tensorflow/tfjs-node-gpu'],
  tensorflow: ['@tensorflow/tfjs-node'],
  webgpu: [TFJS_WEBGPU_PACKAGE, DAWN_PACKAGE],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

/** Why `name` cannot even be tried, without loading it; undefined when loading is worth a try. */
async function obstacle(name: BackendName): Promise<string | undefined> {
  const probe = probeBackend(name);
  if (!probe.available) return probe.reason;
  if (name === 'tensorflow-gpu' && visibleNvidiaGpus() === 0) return 'installed, but no NVIDIA GPU is visible (no driver, or CUDA_VISIBLE_DEVICES hides them)';
  if (name === 'webgpu') {
    const search = await findWebGpuAdapter();
    if (!search.found) return search.reason;
  }
  return undefined;
}

async function runsOn(name: BackendName): Promise<string> {
  if (name === 'webgpu') {
    const found = (await findWebGpuAdapter()).found!;
    const api = found.attempt.dawnOptions.join(' ') || 'native API';
    return `adapter ${found.description} (${api}, ${found.attempt.featureLevel} feature level${found.software ? ', software' : ''})`;
  }
  if (name === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await wasmThreadCount();
    return `SIMD ${simd ? 'yes' : 'no'}, ${threads} thread${threads === 1 ? '' : 's'}`;
  }
  // the C library the binding loaded: a prebuilt download, or the one `crops setup tensorflow` took from PyPI's wheel
  const libtensorflow = (tf.backend() as { binding?: { TF_Version?: string } }).binding?.TF_Version;
  const library = libtensorflow ? `libtensorflow ${libtensorflow}` : '';
  if (name === 'tensorflow-gpu') return [library, `${visibleNvidiaGpus()} NVIDIA GPU(s) visible`].filter(Boolean).join('; ');
  if (name === 'tensorflow') return library;
  return '';
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

/** Loads `name` (making it the active backend) and measures it, or says why it does not load. */
export async function diagnoseBackend(name: BackendName): Promise<BackendDiagnosis> {
  const blocked = await obstacle(name);
  if (blocked !== undefined) return { name, ok: false, details: blocked };
  try {
    await activateBackend(name);
  } catch (e) {
    return { name, ok: false, details: `installed, but does not load: ${(e as Error).message.split('\n')[0]}` };
  }
  const gflops = await matMulGflops();
  const details = [PACKAGES[name].map(versionOf).join(', '), await runsOn(name)].filter(Boolean).join('; ');
  return { name, ok: true, details, gflops };
}
