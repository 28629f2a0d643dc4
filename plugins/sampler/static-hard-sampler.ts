import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginParams, TrialRng } from '../../src/core/services.ts';
import { bm25HardNegatives } from '../../kits/sampler/bm25-negatives.ts';
import { InBatchBatches } from '../../kits/sampler/in-batch-batches.ts';
import type { Batch, TrainingSet } from '../../src/extension-points/samples.ts';
import { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import type { Sampler, SamplerContext } from '../../src/extension-points/sampler.ts';
import { bm25Fields, inBatchFields } from '../../kits/sampler/sampler-params.ts';

const schema = z
  .object({
    ...inBatchFields,
    hardNegatives: z.number().int().min(0).default(1).describe('BM25 hard negatives added to each query of a batch (DPR uses one)'),
    ...bm25Fields,
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * DPR's negatives: the `in-batch` batches plus, for every query of a batch, its `hardNegatives`
 * highest BM25-ranked corpus items that it does not list as relevant (computed once, before
 * training, hence static). A hard negative another query of the batch lists as relevant is
 * excluded for that query, as in `in-batch`. Reference: Karpukhin et al., EMNLP 2020.
 */
@injectable()
export class StaticHardSampler implements Sampler {
  private readonly batches: InBatchBatches;
  private hard: number[][] = [];

  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(TrialRng) rng: Rng,
    @inject(LabelScheme) @optional() private readonly scheme?: LabelScheme,
  ) {
    this.batches = new InBatchBatches(rng, params.candidatesPerQuery);
  }

  async init(data: TrainingSet, ctx: SamplerContext): Promise<void> {
    if (data.lists.length === 0) throw new Error('static-hard sampler: the training set has no query lists');
    this.batches.init(data.lists, ctx.batchQueries, this.scheme?.positiveGrade);
    this.hard = bm25HardNegatives(data.items, this.batches.queries, this.params.hardNegatives, this.params);
  }

  async next(step: number): Promise<Batch> {
    return this.batches.next(step, (qi) => this.hard[qi]!);
  }
}

export default definePlugin({
  kind: 'sampler',
  name: 'static-hard',
  summary: 'in-batch negatives plus static BM25 hard negatives that are not the query’s relevant items (DPR)',
  schema,
  implementation: StaticHardSampler,
});
