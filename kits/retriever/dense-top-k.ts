import * as tf from '@tensorflow/tfjs-core';
import { hasWideTopK } from '../../src/backend/reads.ts';
import type { Ranking } from '../../src/extension-points/retriever.ts';

/**
 * Exact top-k inner-product search of a block of query embeddings against items held on the device
 * as one `[dim, n]` matrix: the matrix is multiplied in item chunks of `itemChunk` columns and only
 * each chunk's `tf.topk` result is read back and merged on the host, so a score block never exceeds
 * `queries x itemChunk` floats. Ties go to the lower item id: the merge orders them, and which tied
 * items reach the top k at all relies on tf.topk preferring lower indices (true of the cpu, wasm and
 * TensorFlow backends). Where tf.topk is unfit for wide rows (WebGPU) the score block itself is read
 * back and each row's top k is selected on the host, with the same tie order.
 * Returns `min(k, n)` items per query row; disposes nothing it was given.
 */
export async function denseTopK(queries: tf.Tensor2D, itemsT: tf.Tensor2D, k: number, itemChunk: number): Promise<Ranking[]> {
  const [rows, dim] = queries.shape;
  const n = itemsT.shape[1];
  const kk = Math.min(Math.max(0, Math.floor(k)), n);
  if (kk === 0) return Array.from({ length: rows }, () => ({ itemIds: new Int32Array(0), scores: new Float32Array(0) }));
  const ids: number[][] = Array.from({ length: rows }, () => []);
  const scores: number[][] = Array.from({ length: rows }, () => []);
  const onDevice = hasWideTopK();
  for (let start = 0; start < n; start += itemChunk) {
    const size = Math.min(itemChunk, n - start);
    if (!onDevice) {
      const block = tf.tidy(() => tf.matMul(queries, size === n ? itemsT : tf.slice(itemsT, [0, start], [dim, size])));
      const values = await block.data();
      block.dispose();
      for (let r = 0; r < rows; r++) {
        for (const j of topOfRow(values, r * size, size, Math.min(kk, size))) {
          ids[r]!.push(j + start);
          scores[r]!.push(values[r * size + j]!);
        }
      }
      continue;
    }
    const top = tf.tidy(() => {
      const block = size === n ? itemsT : tf.slice(itemsT, [0, start], [dim, size]);
      return tf.topk(tf.matMul(queries, block), Math.min(kk, size), true);
    });
    const [vals, idx] = await Promise.all([top.values.data(), top.indices.data()]);
    tf.dispose([top.values, top.indices]);
    const kc = idx.length / Math.max(1, rows);
    for (let r = 0; r < rows; r++) {
      for (let j = r * kc; j < (r + 1) * kc; j++) {
        ids[r]!.push(idx[j]! + start);
        scores[r]!.push(vals[j]!);
      }
    }
  }
  return ids.map((rowIds, r) => mergeTop(rowIds, scores[r]!, kk));
}

/**
 * Column indices of the k largest of `values[offset .. offset + size)`, ties to the lower index, in
 * no particular order: a min-heap of the k best so far, in O(size · log k).
 */
function topOfRow(values: ArrayLike<number>, offset: number, size: number, k: number): Int32Array {
  const heap = new Int32Array(k);
  let count = 0;
  // a is worse than b: lower score, or equal score and higher index
  const worse = (a: number, b: number) => values[offset + a]! < values[offset + b]! || (values[offset + a] === values[offset + b] && a > b);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < count && worse(heap[l]!, heap[m]!)) m = l;
      if (r < count && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let j = 0; j < size; j++) {
    if (count < k) {
      heap[count] = j;
      for (let i = count++; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (worse(heap[0]!, j)) {
      heap[0] = j;
      siftDown(0);
    }
  }
  return heap;
}

/**
 * The k best of concatenated per-chunk top lists: higher score first, then lower item id. Sorting
 * even a single chunk's list keeps the tie order independent of the backend's top-k kernel.
 */
function mergeTop(ids: number[], scores: number[], k: number): Ranking {
  const order = ids.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || ids[a]! - ids[b]!);
  const top = order.slice(0, k);
  return { itemIds: Int32Array.from(top, (i) => ids[i]!), scores: Float32Array.from(top, (i) => scores[i]!) };
}
