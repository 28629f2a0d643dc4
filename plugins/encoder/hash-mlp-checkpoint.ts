import * as tf from '@tensorflow/tfjs-core';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Side } from '../../src/extension-points/encoder.ts';
import type { Mlp } from '../../src/training/mlp.ts';
import { SparseTable } from '../../src/training/sparse-table.ts';

/**
 * The `hash-mlp` towers on disk: `hash-mlp.json` (format, structural params, shapes) and per saved
 * side three raw little-endian arrays: table row ids (int32), table row values and MLP weights
 * (float32, variables in `Mlp.variables()` order). Rows never read are not stored: they regenerate
 * from the saved table seed. Adam moments are not stored, so a loaded encoder is for inference.
 */

export const MANIFEST = 'hash-mlp.json';
const FORMAT = 'crops-hash-mlp/1';

export interface CheckpointTower {
  table: SparseTable;
  mlp: Mlp;
}

/** Params that decide what a text maps to; a checkpoint only loads into an encoder that agrees on them. */
export interface StructuralParams {
  buckets: number;
  embDim: number;
  hidden: number[];
  dim: number;
  bigrams: boolean;
  hashSeed: number;
}

interface Manifest {
  format: string;
  params: StructuralParams;
  /** one tower serves both sides */
  shared: boolean;
  towers: Partial<Record<Side, { table: { rows: number; dim: number; initScale: number; seed: number; stored: number }; mlp: number[][] }>>;
}

const STRUCTURAL: Array<keyof StructuralParams> = ['buckets', 'embDim', 'hidden', 'dim', 'bigrams', 'hashSeed'];

export async function saveCheckpoint(dir: string, params: StructuralParams, towers: Record<Side, CheckpointTower>): Promise<void> {
  const shared = towers.query === towers.item;
  const manifest: Manifest = { format: FORMAT, params: pick(params), shared, towers: {} };
  for (const side of shared ? (['query'] as const) : (['query', 'item'] as const)) {
    const { table, mlp } = towers[side];
    const snap = table.snapshot();
    const vars = mlp.variables();
    const weights = new Float32Array(vars.reduce((n, v) => n + v.size, 0));
    let at = 0;
    for (const v of vars) {
      weights.set((await v.data()) as Float32Array, at);
      at += v.size;
    }
    await writeFile(join(dir, `${side}.table-ids.i32`), bytes(snap.ids));
    await writeFile(join(dir, `${side}.table-values.f32`), bytes(snap.values));
    await writeFile(join(dir, `${side}.mlp.f32`), bytes(weights));
    manifest.towers[side] = { table: { rows: snap.rows, dim: snap.dim, initScale: snap.initScale, seed: snap.seed, stored: snap.ids.length }, mlp: vars.map((v) => v.shape) };
  }
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Reads a checkpoint into `towers` (tables replaced, MLP weights assigned in place). A checkpoint
 * with separate towers gives a shared encoder a second tower, built by `copyMlp`.
 */
export async function loadCheckpoint(dir: string, params: StructuralParams, towers: Record<Side, CheckpointTower>, copyMlp: (mlp: Mlp) => Mlp): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8').catch(() => {
    throw new Error(`hash-mlp: no ${MANIFEST} in ${dir}; expected the towers folder a run saved with train.saveTowers`);
  })) as Manifest;
  if (manifest.format !== FORMAT) throw new Error(`hash-mlp: ${join(dir, MANIFEST)} has format '${manifest.format}', expected '${FORMAT}'`);
  for (const key of STRUCTURAL) {
    if (JSON.stringify(manifest.params[key]) !== JSON.stringify(params[key])) {
      throw new Error(`hash-mlp: the towers in ${dir} were saved with ${key} = ${JSON.stringify(manifest.params[key])}, this encoder has ${JSON.stringify(params[key])}`);
    }
  }
  if (!manifest.shared && towers.query === towers.item) towers.item = { table: towers.query.table, mlp: copyMlp(towers.query.mlp) };
  for (const side of ['query', 'item'] as const) {
    const saved = manifest.towers[manifest.shared ? 'query' : side];
    if (!saved) throw new Error(`hash-mlp: ${join(dir, MANIFEST)} lists no ${side} tower`);
    const from = manifest.shared ? 'query' : side;
    const ids = new Int32Array(toArrayBuffer(await readFile(join(dir, `${from}.table-ids.i32`))));
    const values = new Float32Array(toArrayBuffer(await readFile(join(dir, `${from}.table-values.f32`))));
    const weights = new Float32Array(toArrayBuffer(await readFile(join(dir, `${from}.mlp.f32`))));
    const tower = towers[side];
    tower.table = SparseTable.fromSnapshot({ ...saved.table, ids, values });
    const vars = tower.mlp.variables();
    if (JSON.stringify(vars.map((v) => v.shape)) !== JSON.stringify(saved.mlp)) throw new Error(`hash-mlp: the ${side} MLP in ${dir} has shapes ${JSON.stringify(saved.mlp)}, this encoder ${JSON.stringify(vars.map((v) => v.shape))}`);
    let at = 0;
    for (const v of vars) {
      const value = tf.tensor(weights.subarray(at, at + v.size), v.shape);
      v.assign(value);
      value.dispose();
      at += v.size;
    }
    if (at !== weights.length) throw new Error(`hash-mlp: ${from}.mlp.f32 in ${dir} holds ${weights.length} weights, the MLP needs ${at}`);
    // a shared tower is restored once; the item side is the same object
    if (towers.item === towers.query) break;
  }
}

function pick(p: StructuralParams): StructuralParams {
  return { buckets: p.buckets, embDim: p.embDim, hidden: [...p.hidden], dim: p.dim, bigrams: p.bigrams, hashSeed: p.hashSeed };
}

function bytes(a: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A Buffer's bytes as an aligned ArrayBuffer of their own (Buffers may share an unaligned pool). */
function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
