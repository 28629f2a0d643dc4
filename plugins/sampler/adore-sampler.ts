import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginLogger, PluginParams, TrialRng } from '../../src/core/services.ts';
import { bm25HardNegatives } from '../../kits/sampler/bm25-negatives.ts';
import { InBatchBatches, protectedItems } from '../../kits/sampler/in-batch-batches.ts';
import type { Batch, TrainingSet } from '../../src/extension-points/samples.ts';
import { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import type { Sampler, SamplerContext } from '../../src/extension-points/sampler.ts';
import { DenseCorpusIndex, encodeInChunks, type EncodeFn } from '../../kits/sampler/dense-corpus-index.ts';
import { bm25Fields, inBatchFields, miningFields } from '../../kits/sampler/sampler-params.ts';

const { encodeChunk, itemChunk, queryChunk } = miningFields;
const schema = z
  .object({
    ...inBatchFields,
    starFraction: z.number().min(0).max(1).default(0.5).describe('share of the steps trained as STAR (both towers, static hard + in-batch negatives) before the ADORE phase'),
    hardNegatives: z.number().int().min(0).default(1).describe('static BM25 hard negatives per query and step in the STAR phase'),
    ...bm25Fields,
    negatives: z.number().int().min(0).default(10).describe("top-ranked non-relevant corpus items per query and step in the ADORE phase, retrieved with the query tower as it trains"),
    encodeChunk,
    itemChunk,
    queryChunk,
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * STAR then ADORE. For the first `starFraction` of the steps both towers train on the `in-batch`
 * batches plus static BM25 hard negatives (as `static-hard`). Then the corpus is encoded once and
 * the item tower and that index stay frozen (batches say `frozen: 'item'`, so the trainer only
 * updates the query tower): each step retrieves, with the current query tower, every batch query's
 * top `negatives` corpus items that its list does not mark relevant, and adds them to its
 * candidates. Needs an encoder that can freeze a tower and the run's step count.
 * Reference: Zhan et al., "Optimizing Dense Retrieval Model Training with Hard Negatives", SIGIR 2021.
 */
@injectable()
export class AdoreSampler implements Sampler {
  private readonly batches: InBatchBatches;
  private staticHard: number[][] = [];
  private skip: Array<Set<number>> = [];
  private texts: string[] = [];
  private encode: EncodeFn | undefined;
  private switchStep = 0;
  private index: DenseCorpusIndex | undefined;

  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(TrialRng) rng: Rng,
    @inject(PluginLogger) private readonly logger: Logger,
    @inject(LabelScheme) @optional() private readonly scheme?: LabelScheme,
  ) {
    this.batches = new InBatchBatches(rng, params.candidatesPerQuery);
  }

  async init(data: TrainingSet, ctx: SamplerContext): Promise<void> {
    if (data.lists.length === 0) throw new Error('adore sampler: the training set has no query lists');
    if (!ctx.encode || ctx.steps === undefined) throw new Error("adore sampler: needs the trial's encoder and step count (SamplerContext.encode and .steps)");
    this.batches.init(data.lists, ctx.batchQueries, this.scheme?.positiveGrade);
    this.staticHard = bm25HardNegatives(data.items, this.batches.queries, this.params.hardNegatives, this.params);
    this.skip = this.batches.queries.map(protectedItems);
    this.texts = data.items.texts.slice(0, data.items.corpusSize);
    this.encode = ctx.encode;
    this.switchStep = Math.round(this.params.starFraction * ctx.steps);
    this.dispose();
  }

  async next(step: number): Promise<Batch> {
    if (step < this.switchStep) return this.batches.next(step, (qi) => this.staticHard[qi]!);
    const encode = this.encode!;
    const { encodeChunk: encodeSize, itemChunk: items, queryChunk: queries } = this.params;
    if (!this.index) {
      const started = performance.now();
      this.index = await DenseCorpusIndex.build(encode, this.texts, { encode: encodeSize, items, queries });
      this.logger.info(`ADORE phase from step ${step}: froze an index of ${this.index.size} items in ${(performance.now() - started).toFixed(0)} ms`);
    }
    const qis = this.batches.queriesOf(step);
    const { values } = await encodeInChunks(encode, qis.map((qi) => this.batches.queries[qi]!.list.query), 'query', encodeSize);
    const mined = await this.index.searchExcluding(values, qis.map((qi) => this.skip[qi]!), this.params.negatives);
    const byQuery = new Map(qis.map((qi, r) => [qi, mined[r]!.ids]));
    return { ...this.batches.next(step, (qi) => byQuery.get(qi) ?? []), frozen: 'item' };
  }

  dispose(): void {
    this.index?.dispose();
    this.index = undefined;
  }
}

export default definePlugin({
  kind: 'sampler',
  name: 'adore',
  summary: 'STAR (static BM25 hard + in-batch, both towers), then ADORE: item tower and index frozen, query tower trained on its own top-k',
  schema,
  requires: [{ trait: 'freezable-towers', because: 'its ADORE phase freezes the item tower and trains only the query tower' }],
  implementation: AdoreSampler,
});
