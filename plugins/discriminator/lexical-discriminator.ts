import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { Bm25Index } from '../../kits/text/bm25-index.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import { tokenize } from '../../kits/text/tokenize.ts';

const schema = z
  .object({
    k1: z.number().nonnegative().default(0.9).describe('BM25 term-frequency saturation: 0 ignores repeats, larger values reward them longer'),
    b: z.number().min(0).max(1).default(0.4).describe('BM25 length normalisation: 0 none, 1 full; texts shorter than the average item score higher'),
    reference: z
      .enum(['average-item', 'query'])
      .default('average-item')
      .describe(
        "what scores 1: 'average-item' = an item of average length holding every query word once (the score is then the idf-weighted share of the query the text covers); " +
          "'query' = the query itself scored as a text (stricter: a long item matching every word stays below 1)",
      ),
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * Normalised Okapi BM25 of the query against the text, with idf and average length from the
 * trial's item corpus: BM25(q, text) / BM25(q, reference), clamped to [0, 1].
 *
 * Why this normalisation: raw BM25 grows with the query's length and rarity, so one threshold would
 * mean different things for different queries. Dividing by the score of a reference text that
 * matches the whole query makes the value the share of the query's (idf-weighted) evidence the text
 * carries: 1 for a text that covers every query word as well as an average item would, about 0.5
 * when it carries half of that evidence, 0 when no word is shared. The default reference is an item of
 * average length with each query word once, whose BM25 is simply the sum of the query words' idf;
 * scoring the query as its own reference (`reference: query`) is the stricter alternative, since a
 * short query beats any longer text on length normalisation. Words the corpus never saw get the
 * idf of a zero document frequency. Repeated query words count again, as in {@link Bm25Index}.
 *
 * Needs no ground truth, so it runs on real logs; it cannot see synonyms, which is what the
 * `oracle` and `dense-teacher` discriminators add.
 */
@injectable()
export class LexicalDiscriminator implements Discriminator {
  private readonly index: Bm25Index;
  private ready = false;

  constructor(@inject(PluginParams) private readonly params: Params) {
    this.index = new Bm25Index(params);
  }

  async init(store: LogStore): Promise<void> {
    this.index.build(store.items.map((item) => item.text));
    this.ready = true;
  }

  score(query: string, text: string): number {
    if (!this.ready) throw new Error('lexical discriminator: score before init(store); the corpus statistics come from the trial logs');
    const reference = this.params.reference === 'query' ? this.index.scoreText(query, query) : this.averageItemScore(query);
    if (reference <= 0) return 0;
    return Math.min(1, this.index.scoreText(query, text) / reference);
  }

  /** BM25 of an average-length item holding each query word once: tf = 1 and length norm 1 leave idf. */
  private averageItemScore(query: string): number {
    let s = 0;
    for (const t of tokenize(query)) s += this.index.idfOf(t);
    return s;
  }
}

export default definePlugin({
  kind: 'discriminator',
  name: 'lexical',
  summary: 'BM25 of the query against the text over the item corpus, normalised to [0, 1]',
  schema,
  implementation: LexicalDiscriminator,
  provides: ['discriminator'],
});
