import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginParams, TrialRng } from '../../src/core/services.ts';
import type { Batch, LabelledList, TrainingSet } from '../../src/engine/samples.ts';
import { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import type { Sampler, SamplerContext } from '../../src/extension-points/sampler.ts';

/** Params of `in-batch`. */
export const InBatchParams = z
  .object({
    candidatesPerQuery: z
      .number()
      .int()
      .positive()
      .default(8)
      .describe("own candidates per query and step: positives first (highest grades), then a random sample of the query's lower grades"),
  })
  .strict();
export type InBatchParams = z.output<typeof InBatchParams>;

interface Prepared {
  list: LabelledList;
  /** item id -> grade in the query's full list */
  gradeOf: Map<number, number>;
  /** indices into the list: positives, and the rest */
  positives: number[];
  others: number[];
}

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
  private data: Prepared[] = [];
  private batchSize = 0;
  private epochOrder?: { epoch: number; order: number[] };
  private readonly k: number;

  constructor(
    @inject(PluginParams) params: InBatchParams,
    @inject(TrialRng) private readonly rng: Rng,
    @inject(LabelScheme) @optional() private readonly scheme?: LabelScheme,
  ) {
    this.k = InBatchParams.parse(params).candidatesPerQuery;
  }

  async init(data: TrainingSet, ctx: SamplerContext): Promise<void> {
    if (data.lists.length === 0) throw new Error('in-batch sampler: the training set has no query lists');
    this.batchSize = Math.min(ctx.batchQueries, data.lists.length);
    this.epochOrder = undefined;
    this.data = data.lists.map((list) => {
      // without a label scheme in the trial, a query's top grade is its positive level
      const threshold = this.scheme?.positiveGrade ?? Math.max(...list.grades);
      const positives: number[] = [];
      const others: number[] = [];
      list.grades.forEach((g, i) => (g >= threshold ? positives : others).push(i));
      return { list, gradeOf: new Map(list.itemIds.map((id, i) => [id, list.grades[i]!])), positives, others };
    });
  }

  async next(step: number): Promise<Batch> {
    const n = this.data.length;
    if (n === 0) throw new Error('in-batch sampler: next() called before init()');
    const perEpoch = Math.floor(n / this.batchSize);
    const order = this.order(Math.floor(step / perEpoch));
    const start = (step % perEpoch) * this.batchSize;
    const rng = this.rng.fork(`step:${step}`);
    const chosen = order.slice(start, start + this.batchSize).map((q) => ({ q: this.data[q]!, picks: this.pick(this.data[q]!, rng) }));

    const column = new Map<number, number>();
    for (const { q, picks } of chosen) for (const i of picks) if (!column.has(q.list.itemIds[i]!)) column.set(q.list.itemIds[i]!, column.size);
    const itemIds = Int32Array.from(column.keys());
    const c = itemIds.length;
    const grades = new Int32Array(chosen.length * c);
    chosen.forEach(({ q, picks }, row) => {
      const own = new Set(picks.map((i) => q.list.itemIds[i]!));
      for (let j = 0; j < c; j++) {
        const g = q.gradeOf.get(itemIds[j]!);
        grades[row * c + j] = g === undefined ? 0 : own.has(itemIds[j]!) ? g : g >= 1 ? -1 : 0;
      }
    });
    return { queries: chosen.map(({ q }) => q.list.query), itemIds, grades };
  }

  /** Up to k list indices: positives by grade (random within a grade), then random lower-grade ones. */
  private pick(q: Prepared, rng: Rng): number[] {
    const grades = q.list.grades;
    const positives = rng.shuffle(q.positives.slice());
    // a stable sort keeps the shuffled order among equal grades
    positives.sort((a, b) => grades[b]! - grades[a]!);
    const picks = positives.slice(0, this.k);
    const rest = q.others.slice();
    for (let i = 0; picks.length < this.k && i < rest.length; i++) {
      const j = i + rng.int(rest.length - i);
      [rest[i], rest[j]] = [rest[j]!, rest[i]!];
      picks.push(rest[i]!);
    }
    return picks;
  }

  /** The query order of one epoch: a shuffle seeded by the epoch number. */
  private order(epoch: number): number[] {
    if (this.epochOrder?.epoch !== epoch) {
      const order = Array.from({ length: this.data.length }, (_, i) => i);
      this.epochOrder = { epoch, order: this.rng.fork(`epoch:${epoch}`).shuffle(order) };
    }
    return this.epochOrder.order;
  }
}

export default definePlugin({
  kind: 'sampler',
  name: 'in-batch',
  summary: 'per-query graded candidates plus the other queries of the batch as negatives, seeded epoch shuffles',
  schema: InBatchParams,
  implementation: InBatchSampler,
});
