import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { Item } from '../../src/extension-points/log-store.ts';
import { Bm25Index } from '../../kits/text/bm25-index.ts';
import type { Ranking, Retriever } from '../../src/extension-points/retriever.ts';

const schema = z
  .object({
    k1: z.number().nonnegative().default(0.9).describe('term-frequency saturation: 0 ignores repeats, larger values reward them longer'),
    b: z.number().min(0).max(1).default(0.4).describe('document-length normalisation: 0 none, 1 full'),
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * Okapi BM25 over the item texts (see {@link Bm25Index} for the formula, tokens and tie order);
 * needs no training, so trials using it skip the encoder.
 */
@injectable()
export class Bm25Retriever implements Retriever {
  readonly lexical = true;
  private readonly index: Bm25Index;

  constructor(@inject(PluginParams) params: Params) {
    this.index = new Bm25Index(params);
  }

  async build(items: Item[]): Promise<void> {
    items.forEach((item, i) => {
      if (item.id !== i) throw new Error(`bm25: item ids must be dense 0..n-1 in order (item ${i} has id ${item.id})`);
    });
    this.index.build(items.map((item) => item.text));
  }

  async search(queries: string[], k: number): Promise<Ranking[]> {
    return this.index.search(queries, k);
  }

  async scoreItems(queries: string[], itemIds: ArrayLike<number>[]): Promise<Float32Array[]> {
    return this.index.scoreItems(queries, itemIds);
  }

  dispose(): void {
    this.index.clear();
  }
}

export default definePlugin({
  kind: 'retriever',
  name: 'bm25',
  summary: 'Okapi BM25 over the item texts (inverted index); needs no training',
  schema,
  implementation: Bm25Retriever,
});
