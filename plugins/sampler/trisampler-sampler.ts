import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginLogger, PluginParams, TrialRng } from '../../src/core/services.ts';
import type { PreparedQuery } from '../../kits/sampler/in-batch-batches.ts';
import type { Batch, TrainingSet } from '../../src/extension-points/samples.ts';
import { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import type { Sampler, SamplerContext } from '../../src/extension-points/sampler.ts';
import { ModelMinedBatches, type MinedSnapshot } from '../../kits/sampler/refreshed-negatives.ts';
import { inBatchFields, miningFields } from '../../kits/sampler/sampler-params.ts';

const schema = z
  .object({
    ...inBatchFields,
    negatives: z.number().int().min(0).default(1).describe('negatives sampled per query and step from its mined top-k'),
    angleBound: z.number().min(0).max(180).default(60).describe('largest |angle(q, d+) - angle(q, d-)| in degrees a negative may have'),
    width: z.number().positive().default(0.1).describe('width w of the sampling density exp(-(s- - s+)^2 / w) over cosine scores; smaller peaks harder near the positive'),
    ...miningFields,
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * Sampling weights of mined negatives for one (query, positive) pair: 0 outside the quasi-triangular
 * region (angle gap to the positive above `angleBound` degrees), else exp(-(s- - s+)^2 / width), so
 * negatives scored close to the positive are likeliest. Scores are cosines (unit embeddings).
 */
export function triangleWeights(positiveScore: number, scores: readonly number[], angleBound: number, width: number): number[] {
  const angle = (s: number) => (Math.acos(Math.min(1, Math.max(-1, s))) * 180) / Math.PI;
  const anchor = angle(positiveScore);
  return scores.map((s) => (Math.abs(anchor - angle(s)) <= angleBound ? Math.exp(-((s - positiveScore) ** 2) / width) : 0));
}

/**
 * TriSampler's negatives: the `in-batch` batches plus, per query, `negatives` items sampled without
 * replacement from its top-`topK` under the current model (refreshed like `ann-refresh`), restricted
 * to the region bounded by query, positive and negative (angle gap <= `angleBound`) and weighted
 * by a density peaked at the positive's score. The positive is one of the query's positives, drawn
 * per step. Needs the trial's encoder. Reference: Yang et al., "TriSampler: A Better Negative
 * Sampling Principle for Dense Retrieval", AAAI 2024 (its first sampling distribution).
 */
@injectable()
export class TriSamplerSampler implements Sampler {
  private readonly core: ModelMinedBatches;

  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(TrialRng) rng: Rng,
    @inject(PluginLogger) logger: Logger,
    @inject(LabelScheme) @optional() private readonly scheme?: LabelScheme,
  ) {
    this.core = new ModelMinedBatches(rng, params, logger, 'trisampler sampler');
  }

  async init(data: TrainingSet, ctx: SamplerContext): Promise<void> {
    if (data.lists.length === 0) throw new Error('trisampler sampler: the training set has no query lists');
    this.core.init(data, ctx, this.scheme?.positiveGrade);
  }

  async next(step: number): Promise<Batch> {
    return this.core.next(step, (snapshot, q, qi, rng) => this.sample(snapshot, q, qi, rng));
  }

  private sample(snapshot: MinedSnapshot, q: PreparedQuery, qi: number, rng: Rng): number[] {
    const pool = snapshot.pools[qi]!;
    if (q.positives.length === 0 || pool.ids.length === 0) return [];
    const positive = q.list.itemIds[rng.pick(q.positives)]!;
    const { dim, queryEmbeddings } = snapshot;
    const qv = queryEmbeddings.subarray(qi * dim, (qi + 1) * dim);
    const pv = snapshot.itemEmbedding(positive);
    let sPos = 0;
    for (let j = 0; j < dim; j++) sPos += qv[j]! * pv[j]!;
    const weights = triangleWeights(sPos, pool.scores, this.params.angleBound, this.params.width);
    const out: number[] = [];
    while (out.length < this.params.negatives && weights.some((w) => w > 0)) {
      let i = rng.weighted(weights);
      // float round-off can land past the last positive weight
      while (weights[i] === 0) i--;
      out.push(pool.ids[i]!);
      weights[i] = 0;
    }
    return out;
  }
}

export default definePlugin({
  kind: 'sampler',
  name: 'trisampler',
  summary: 'in-batch negatives plus negatives sampled from the current top-k inside the query–positive–negative angle bound (TriSampler)',
  schema,
  implementation: TriSamplerSampler,
});
