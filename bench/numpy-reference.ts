import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FeatureHasher } from '../kits/text/tokenize.ts';
import inBatch from '../plugins/sampler/in-batch-sampler.ts';
import { instantiate } from '../test/support/instantiate.ts';
import type { Figure } from './common.ts';
import { BATCH_QUERIES, CANDIDATES_PER_QUERY, POSITIVE_GRADE, REFERENCE_TOWER, syntheticTrainingSet } from './train-step.ts';

/** What bench/numpy_reference.py measured (see there). */
export interface NumpyReference {
  python: string;
  numpy: string;
  /** BLAS pools threadpoolctl found: which library, version, threads and CPU kernel it runs */
  threadpools: Array<{ internal_api: string; version: string; num_threads: number; architecture?: string }>;
  /** OpenBLAS tuning variables of this machine removed for the reference process */
  unset: Record<string, string>;
  matmul: { n: number; gflops: number; bestMs: number };
  step: { msPerStep: number; phases: Record<string, number>; finalLoss: number; steps: number };
  retrieval: { queriesPerSecond: number; queries: number; seconds: number };
}

/** Variables that pin OpenBLAS to a CPU type or cache size; the reference runs with OpenBLAS's own detection. */
const OPENBLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

/** A Python with numpy and threadpoolctl: $CROPS_BENCH_PYTHON, else the MLflow venv CI builds. */
export function referencePython(): string | undefined {
  const candidates = [process.env.CROPS_BENCH_PYTHON, process.env.CROPS_MLFLOW_PYTHON, resolve('.venv-mlflow/bin/python')];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

async function writeBatch(dir: string, quick: boolean): Promise<void> {
  const data = syntheticTrainingSet(quick ? 1024 : 4096, quick ? 20_000 : 50_000);
  const sampler = instantiate(inBatch, { candidatesPerQuery: CANDIDATES_PER_QUERY });
  await sampler.init(data, { batchQueries: BATCH_QUERIES });
  const batch = await sampler.next(0);
  const hasher = new FeatureHasher({ buckets: REFERENCE_TOWER.buckets, bigrams: true, seed: 0 });
  const q = hasher.batch(batch.queries);
  const d = hasher.batch(Array.from(batch.itemIds, (id) => data.items.texts[id]!));
  const put = (name: string, a: Int32Array) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  put('q_offsets.bin', q.offsets);
  put('q_ids.bin', q.ids);
  put('d_offsets.bin', d.offsets);
  put('d_ids.bin', d.ids);
  put('grades.bin', Int32Array.from(batch.grades));
  const shape = { ...REFERENCE_TOWER, hidden: REFERENCE_TOWER.hidden[0], queries: batch.queries.length, candidates: batch.itemIds.length, positiveGrade: POSITIVE_GRADE };
  writeFileSync(join(dir, 'shape.json'), JSON.stringify(shape));
}

/**
 * Runs bench/numpy_reference.py on the bench's own first training batch: the same sampler, hashing
 * and shapes as the TypeScript train step, handed over as typed arrays so both time the same work.
 */
export async function numpyReference(quick: boolean): Promise<NumpyReference | { skipped: string }> {
  const python = referencePython();
  if (!python) return { skipped: 'no Python with numpy (set CROPS_BENCH_PYTHON or CROPS_MLFLOW_PYTHON)' };
  const dir = mkdtempSync(join(tmpdir(), 'crops-numpy-ref-'));
  try {
    await writeBatch(dir, quick);
    const env = { ...process.env };
    const unset: Record<string, string> = {};
    for (const name of OPENBLAS_OVERRIDES) {
      if (env[name] !== undefined) unset[name] = env[name]!;
      delete env[name];
    }
    const script = fileURLToPath(new URL('./numpy_reference.py', import.meta.url));
    const res = spawnSync(python, [script, dir, quick ? '1' : '0'], { encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
    if (res.status !== 0) return { skipped: `numpy reference failed (${python}): ${(res.stderr || res.error?.message || '').trim().split('\n').slice(-3).join(' ')}` };
    return { python, unset, ...(JSON.parse(res.stdout.trim().split('\n').pop()!) as Omit<NumpyReference, 'python' | 'unset'>) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The numpy figures, and each backend's matMul peak, train step and retrieval rate as a ratio to
 * them. Targets apply to the native backend, the one meant to compete with a BLAS.
 */
export function numpyFigures(numpy: NumpyReference | { skipped: string }, byBackend: Record<string, Figure[]>): Figure[] {
  if ('skipped' in numpy) return [{ id: 'numpy.skipped', label: 'numpy reference', value: Number.NaN, unit: '', note: numpy.skipped }];
  const blas = numpy.threadpools.map((p) => `${p.internal_api} ${p.version} ${p.architecture ?? ''} kernel, ${p.num_threads} threads`).join('; ');
  const env = Object.keys(numpy.unset).length ? `; ${Object.keys(numpy.unset).join(', ')} unset` : '';
  const figures: Figure[] = [
    { id: 'numpy.matmul.peakGflops', label: `[numpy] matMul ${numpy.matmul.n}x${numpy.matmul.n} f32, best of runs`, value: numpy.matmul.gflops, unit: 'GFLOP/s', note: `numpy ${numpy.numpy}, ${blas}${env}` },
    {
      id: 'numpy.train.info-nce.msPerStep',
      label: '[numpy] hand-written hash-mlp step, info-nce',
      value: numpy.step.msPerStep,
      unit: 'ms',
      note: `median of ${numpy.step.steps}; phases ms: pool ${numpy.step.phases.prepare!.toFixed(1)}, fwd+bwd ${numpy.step.phases.compute!.toFixed(1)}, updates ${numpy.step.phases.update!.toFixed(1)} (batch given as arrays)`,
    },
    { id: 'numpy.retrieval.queriesPerSecond', label: '[numpy] exact top-100 over 100k x 128', value: numpy.retrieval.queriesPerSecond, unit: 'queries/s', note: `${numpy.retrieval.queries} queries, 256 a chunk, argpartition` },
  ];
  for (const [backend, own] of Object.entries(byBackend)) {
    const get = (id: string) => own.find((f) => f.id === `${backend}:${id}`)?.value;
    const native = backend === 'tensorflow';
    const ratio = (id: string, label: string, value: number | undefined, of: string, target?: Figure['target']) => {
      if (value === undefined) return;
      figures.push({ id: `${backend}:${id}`, label: `[${backend}] ${label}`, value, unit: 'x', relativeTo: of, ...(native && target ? { target } : {}) });
    };
    const peak = get('matmul.peakGflops');
    ratio('matmul.overNumpy', 'matMul peak / numpy', peak === undefined ? undefined : peak / numpy.matmul.gflops, 'numpy.matmul.peakGflops', { op: '>=', value: 0.8 });
    const step = get('train.info-nce.msPerStep');
    ratio('train.info-nce.overNumpy', 'train step info-nce / numpy step', step === undefined ? undefined : step / numpy.step.msPerStep, 'numpy.train.info-nce.msPerStep', { op: '<=', value: 2 });
    const qps = get('retrieval.queriesPerSecond');
    ratio('retrieval.overNumpy', 'retrieval queries/s / numpy', qps === undefined ? undefined : qps / numpy.retrieval.queriesPerSecond, 'numpy.retrieval.queriesPerSecond', { op: '>=', value: 1 });
  }
  return figures;
}
