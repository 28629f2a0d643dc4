import * as tf from '@tensorflow/tfjs-core';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Side } from '../../src/extension-points/encoder.ts';
import { SparseTable } from './sparse-table.ts';

/**
 * Two towers of "host-side token table + dense network" on disk, shared by the encoders built that
 * way (`hash-mlp`, `transformer`): `<encoder>.json` (format, structural params, shapes) and per saved
 * side three raw little-endian arrays: table row ids (int32), table row values and network weights
 * (float32, variables in `variables()` order). Rows never read are not stored: they regenerate from
 * the saved table seed. Optimiser moments are not stored, so a loaded encoder is for inference.
 */

/** Anything whose weights are a fixed list of variables. */
export interface Network {
  variables(): tf.Variable[];
}

export interface Tower<N extends Network> {
  table: SparseTable;
  net: N;
}

/** Names and params of one encoder's checkpoint. */
export interface CheckpointSpec {
  /** encoder plugin name: message prefix and manifest `<encoder>.json` */
  encoder: string;
  /** format tag written to and expected in the manifest */
  format: string;
  /** stem of the weight files (`<side>.<weights>.f32`) and manifest key of their shapes */
  weights: string;
  /** params that decide what a text maps to; a checkpoint only loads into an encoder that agrees on them */
  structural: Record<string, unknown>;
}

interface SavedTable {
  rows: number;
  dim: number;
  initScale: number;
  seed: number;
  stored: number;
}
interface Manifest {
  format: string;
  params: Record<string, unknown>;
  /** one tower serves both sides */
  shared: boolean;
  /** per side: `table`, and the weight shapes under `spec.weights` */
  towers: Partial<Record<Side, Record<string, unknown> & { table: SavedTable }>>;
}

export const manifestName = (spec: CheckpointSpec) => `${spec.encoder}.json`;

export async function saveTowers<N extends Network>(dir: string, spec: CheckpointSpec, towers: Record<Side, Tower<N>>): Promise<void> {
  const shared = towers.query === towers.item;
  const manifest: Manifest = { format: spec.format, params: spec.structural, shared, towers: {} };
  for (const side of shared ? (['query'] as const) : (['query', 'item'] as const)) {
    const { table, net } = towers[side];
    const snap = table.snapshot();
    const vars = net.variables();
    const weights = new Float32Array(vars.reduce((n, v) => n + v.size, 0));
    let at = 0;
    for (const v of vars) {
      weights.set((await v.data()) as Float32Array, at);
      at += v.size;
    }
    await writeFile(join(dir, `${side}.table-ids.i32`), bytes(snap.ids));
    await writeFile(join(dir, `${side}.table-values.f32`), bytes(snap.values));
    await writeFile(join(dir, `${side}.${spec.weights}.f32`), bytes(weights));
    const saved: SavedTable = { rows: snap.rows, dim: snap.dim, initScale: snap.initScale, seed: snap.seed, stored: snap.ids.length };
    manifest.towers[side] = { table: saved, [spec.weights]: vars.map((v) => v.shape) };
  }
  await writeFile(join(dir, manifestName(spec)), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Reads a checkpoint into `towers` (tables replaced, network weights assigned in place). A
 * checkpoint with separate towers gives a shared encoder a second tower, built by `copyNet`.
 */
export async function loadTowers<N extends Network>(dir: string, spec: CheckpointSpec, towers: Record<Side, Tower<N>>, copyNet: (net: N) => N): Promise<void> {
  const { encoder, weights: stem } = spec;
  const manifestPath = join(dir, manifestName(spec));
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8').catch(() => {
    throw new Error(`${encoder}: no ${manifestName(spec)} in ${dir}; expected the towers folder a run saved with train.saveTowers`);
  })) as Manifest;
  if (manifest.format !== spec.format) throw new Error(`${encoder}: ${manifestPath} has format '${manifest.format}', expected '${spec.format}'`);
  for (const [key, value] of Object.entries(spec.structural)) {
    if (JSON.stringify(manifest.params[key]) !== JSON.stringify(value)) {
      throw new Error(`${encoder}: the towers in ${dir} were saved with ${key} = ${JSON.stringify(manifest.params[key])}, this encoder has ${JSON.stringify(value)}`);
    }
  }
  if (!manifest.shared && towers.query === towers.item) towers.item = { table: towers.query.table, net: copyNet(towers.query.net) };
  for (const side of ['query', 'item'] as const) {
    const from = manifest.shared ? 'query' : side;
    const saved = manifest.towers[from];
    if (!saved) throw new Error(`${encoder}: ${manifestPath} lists no ${side} tower`);
    const ids = new Int32Array(toArrayBuffer(await readFile(join(dir, `${from}.table-ids.i32`))));
    const values = new Float32Array(toArrayBuffer(await readFile(join(dir, `${from}.table-values.f32`))));
    const weights = new Float32Array(toArrayBuffer(await readFile(join(dir, `${from}.${stem}.f32`))));
    const tower = towers[side];
    tower.table = SparseTable.fromSnapshot({ ...saved.table, ids, values });
    const vars = tower.net.variables();
    const shapes = JSON.stringify(vars.map((v) => v.shape));
    if (JSON.stringify(saved[stem]) !== shapes) throw new Error(`${encoder}: the ${side} ${stem} in ${dir} has shapes ${JSON.stringify(saved[stem])}, this encoder ${shapes}`);
    let at = 0;
    for (const v of vars) {
      const value = tf.tensor(weights.subarray(at, at + v.size), v.shape);
      v.assign(value);
      value.dispose();
      at += v.size;
    }
    if (at !== weights.length) throw new Error(`${encoder}: ${from}.${stem}.f32 in ${dir} holds ${weights.length} weights, the ${stem} needs ${at}`);
    // a shared tower is restored once; the item side is the same object
    if (towers.item === towers.query) break;
  }
}

function bytes(a: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A Buffer's bytes as an aligned ArrayBuffer of their own (Buffers may share an unaligned pool). */
function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
