import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginLogger, PluginParams, TrialRng } from '../../src/core/services.ts';
import type { Batch, TrainingSet } from '../../src/extension-points/samples.ts';
import { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import type { Sampler, SamplerContext } from '../../src/extension-points/sampler.ts';
import { ModelMinedBatches } from '../../kits/sampler/refreshed-negatives.ts';
import { inBatchFields, miningFields } from '../../kits/sampler/sampler-params.ts';

const schema = z
  .object({
    ...inBatchFields,
    negatives: z.number().int().min(0).default(1).describe("negatives drawn uniformly per query and step from its mined top-k"),
    ...miningFields,
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * ANCE's negatives: the `in-batch` batches plus, per query, `negatives` items drawn uniformly from
 * its top-`topK` over the whole corpus under the model being trained, skipping the items its own
 * list marks relevant. The index is rebuilt every `refreshEvery` steps (step 0 included) and its
 * build time logged; between refreshes negatives come from the last snapshot. Needs the trial's
 * encoder. Reference: Xiong et al., "Approximate Nearest Neighbor Negative Contrastive Learning", ICLR 2021.
 */
@injectable()
export class AnnRefreshSampler implements Sampler {
  private readonly core: ModelMinedBatches;

  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(TrialRng) rng: Rng,
    @inject(PluginLogger) logger: Logger,
    @inject(LabelScheme) @optional() private readonly scheme?: LabelScheme,
  ) {
    this.core = new ModelMinedBatches(rng, params, logger, 'ann-refresh sampler');
  }

  async init(data: TrainingSet, ctx: SamplerContext): Promise<void> {
    if (data.lists.length === 0) throw new Error('ann-refresh sampler: the training set has no query lists');
    this.core.init(data, ctx, this.scheme?.positiveGrade);
  }

  async next(step: number): Promise<Batch> {
    return this.core.next(step, ({ pools }, _query, qi, rng) => rng.shuffle(pools[qi]!.ids.slice()).slice(0, this.params.negatives));
  }
}

export default definePlugin({
  kind: 'sampler',
  name: 'ann-refresh',
  summary: 'in-batch negatives plus negatives from the current model’s top-k over the corpus, index rebuilt every N steps (ANCE)',
  schema,
  implementation: AnnRefreshSampler,
});
