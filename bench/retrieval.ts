import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/core/rng.ts';
import type { Item } from '../src/extension-points/log-store.ts';
import type { Encoder, PreparedInput, Side } from '../src/extension-points/encoder.ts';
import denseExact from '../plugins/retriever/dense-exact-retriever.ts';
import { instantiate } from '../test/support/instantiate.ts';
import { checkNoLeak, unitRows, type BenchContext, type Figure, type Measurement } from './common.ts';

const DIM = 128;
const K = 100;

/** An encoder that looks its vectors up: text `i<n>` is item row n, `q<n>` query row n. Inference only. */
class TableEncoder implements Encoder {
  readonly dim = DIM;
  constructor(private readonly vectors: Record<Side, Float32Array>) {}
  async encode(texts: string[], side: Side): Promise<Float32Array> {
    const out = new Float32Array(texts.length * DIM);
    const table = this.vectors[side];
    texts.forEach((t, i) => {
      const row = Number(t.slice(1));
      out.set(table.subarray(row * DIM, (row + 1) * DIM), i * DIM);
    });
    return out;
  }
  prepare(): PreparedInput {
    throw new Error('TableEncoder is inference-only');
  }
  embed(): tf.Tensor2D {
    throw new Error('TableEncoder is inference-only');
  }
  variables(): tf.Variable[] {
    return [];
  }
  applySparse(): void {}
  parameterCount(): number {
    return 0;
  }
  dispose(): void {}
}

export const retrieval: Measurement = {
  name: 'retrieval',
  needsPeak: true,
  async run(ctx: BenchContext): Promise<Figure[]> {
    const n = 100_000;
    const queries = ctx.quick ? 512 : 2048;
    const rng = new Rng('bench:retrieval');
    const encoder = new TableEncoder({ item: unitRows(n, DIM, rng), query: unitRows(queries, DIM, rng) });
    const items: Item[] = Array.from({ length: n }, (_, id) => ({ id, text: `i${id}` }));
    const texts = Array.from({ length: queries }, (_, i) => `q${i}`);
    const before = tf.memory().numTensors;
    const retriever = instantiate(denseExact, {});
    try {
      const b0 = performance.now();
      await retriever.build(items, encoder);
      const buildS = (performance.now() - b0) / 1000;
      await retriever.search(texts.slice(0, 256), K); // warm-up
      const t0 = performance.now();
      const rankings = await retriever.search(texts, K);
      const seconds = (performance.now() - t0) / 1000;
      if (rankings.length !== queries || rankings[0]!.itemIds.length !== K) throw new Error('dense-exact returned the wrong number of results');
      const qps = queries / seconds;
      const gflops = (2 * queries * n * DIM) / (seconds * 1e9);
      const figures: Figure[] = [
        { id: 'retrieval.queriesPerSecond', label: `dense-exact top-${K} over ${n / 1000}k x ${DIM}`, value: qps, unit: 'queries/s', target: { op: '>=', value: 450 }, note: `${queries} queries in ${seconds.toFixed(2)} s, default chunks` },
        { id: 'retrieval.scoringGflops', label: '  scoring matMul rate', value: gflops, unit: 'GFLOP/s', note: 'score flops only (2·Q·N·dim) over the whole search, top-k included' },
        { id: 'retrieval.buildSeconds', label: '  index build (upload + transpose)', value: buildS, unit: 's' },
      ];
      if (ctx.peakGflops) figures.splice(2, 0, { id: 'retrieval.fractionOfPeak', label: '  scoring rate / peak', value: gflops / ctx.peakGflops, unit: 'fraction', relativeTo: 'matmul.peakGflops' });
      return figures;
    } finally {
      retriever.dispose();
      checkNoLeak(before, 'retrieval');
    }
  },
};
