import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginParams, TrialRng } from '../../src/core/services.ts';
import { InBatchBatches } from '../../kits/sampler/in-batch-batches.ts';
import type { Batch, TrainingSet } from '../../src/extension-points/samples.ts';
import { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import type { Sampler, SamplerContext } from '../../src/extension-points/sampler.ts';
import { inBatchFields } from '../../kits/sampler/sampler-params.ts';

/** Params of `in-batch`. */
export const InBatchParams = z.object({ ...inBatchFields }).strict();
export type InBatchParams = z.output<typeof InBatchParams>;

/**
 * In-batch negatives (DPR-style, without static hard negatives): each step takes `batchQueries`
 * queries from a seeded per-epoch shuffle (the last partial batch of an epoch is skipped, so a
 * batch never repeats a query), picks up to `candidatesPerQuery` of each query's own graded
 * candidates, and scores every query against the union. Another query's candidate is grade 0 for
 * a query, or -1 (excluded) when the query's own list grades it >= 1, so known positives are never
 * pushed down as negatives. `next(step)` depends only on the step and the trial seed.
 */
@injectable()
export class InBatchSampler implements Sampler {
  private readonly batches: InBatchBatches;

  constructor(
    @inject(PluginParams) params: InBatchParams,
    @inject(TrialRng) rng: Rng,
    @inject(LabelScheme) @optional() private readonly scheme?: LabelScheme,
  ) {
    this.batches = new InBatchBatches(rng, InBatchParams.parse(params).candidatesPerQuery);
  }

  async init(data: TrainingSet, ctx: SamplerContext): Promise<void> {
    if (data.lists.length === 0) throw new Error('in-batch sampler: the training set has no query lists');
    this.batches.init(data.lists, ctx.batchQueries, this.scheme?.positiveGrade);
  }

  async next(step: number): Promise<Batch> {
    return this.batches.next(step);
  }
}

export default definePlugin({
  kind: 'sampler',
  name: 'in-batch',
  summary: 'per-query graded candidates plus the other queries of the batch as negatives, seeded epoch shuffles',
  schema: InBatchParams,
  implementation: InBatchSampler,
});
