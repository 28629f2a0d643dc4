import type { Rng } from '../../src/core/rng.ts';
import type { Batch, LabelledList } from '../../src/extension-points/samples.ts';
import type { CandidateBudget } from './sampler-params.ts';

/** One training query prepared for batching. */
export interface PreparedQuery {
  list: LabelledList;
  /** item id -> grade in the query's full list */
  gradeOf: Map<number, number>;
  /** indices into the list: positives, and the rest */
  positives: number[];
  others: number[];
}

/**
 * Extra own candidates of one query in one step (e.g. hard negatives), graded by the query's own
 * list (0 when absent). Gets the query's index in the training set and a per-step stream.
 */
export type ExtraCandidates = (query: number, rng: Rng) => readonly number[];

/**
 * The in-batch batching logic shared by samplers: each step takes `batchQueries` queries from a
 * seeded per-epoch shuffle (the last partial batch of an epoch is skipped, so a batch never repeats
 * a query), picks up to `candidatesPerQuery` of each query's own graded candidates (positives by
 * grade first, then random lower grades) — or, with separate budgets, up to `positives` of its
 * positives and up to `negatives` of its lower-graded items, so a query with many positives keeps
 * its funnel-stage negatives — and scores every query against the union. Another
 * query's candidate is grade 0 for a query, or -1 (excluded) when the query's own list grades it
 * >= 1, so known positives are never pushed down as negatives. `next(step)` depends only on the
 * step and the seed (and on what `extra` returns).
 */
export class InBatchBatches {
  /** the prepared queries, in training-set order */
  queries: PreparedQuery[] = [];
  private batchSize = 0;
  private epochOrder?: { epoch: number; order: number[] };

  constructor(
    private readonly rng: Rng,
    private readonly budget: CandidateBudget,
  ) {}

  /** Prepares the lists; without `positiveGrade` a query's top grade is its positive level. */
  init(lists: LabelledList[], batchQueries: number, positiveGrade?: number): void {
    this.batchSize = Math.min(batchQueries, lists.length);
    this.epochOrder = undefined;
    this.queries = lists.map((list) => {
      const threshold = positiveGrade ?? Math.max(...list.grades);
      const positives: number[] = [];
      const others: number[] = [];
      list.grades.forEach((g, i) => (g >= threshold ? positives : others).push(i));
      return { list, gradeOf: new Map(list.itemIds.map((id, i) => [id, list.grades[i]!])), positives, others };
    });
  }

  /** Indices (into {@link queries}) of the queries of `step`'s batch, so mining can run before {@link next}. */
  queriesOf(step: number): number[] {
    const n = this.queries.length;
    if (n === 0) throw new Error('in-batch sampler: next() called before init()');
    const perEpoch = Math.floor(n / this.batchSize);
    const order = this.order(Math.floor(step / perEpoch));
    const start = (step % perEpoch) * this.batchSize;
    return order.slice(start, start + this.batchSize);
  }

  /** The batch of `step`; `extra` adds own candidates per query after its picks. */
  next(step: number, extra?: ExtraCandidates): Batch {
    const rng = this.rng.fork(`step:${step}`);
    const chosen = this.queriesOf(step).map((qi) => {
      const q = this.queries[qi]!;
      return { qi, q, own: this.pick(q, rng).map((i) => q.list.itemIds[i]!) };
    });
    if (extra) {
      // a separate stream, so the picks stay those of a plain in-batch step
      const extraRng = this.rng.fork(`extra:${step}`);
      for (const c of chosen) for (const id of extra(c.qi, extraRng)) if (!c.own.includes(id)) c.own.push(id);
    }

    const column = new Map<number, number>();
    for (const { own } of chosen) for (const id of own) if (!column.has(id)) column.set(id, column.size);
    const itemIds = Int32Array.from(column.keys());
    const c = itemIds.length;
    const grades = new Int32Array(chosen.length * c);
    // everything outside a query's own list is grade 0 (the fill), so only its list entries are visited:
    // O(list length) per query rather than O(union size), with no per-cell map lookups
    chosen.forEach(({ q, own }, row) => {
      const mine = new Set(own);
      for (const [id, g] of q.gradeOf) {
        const j = column.get(id);
        if (j !== undefined) grades[row * c + j] = mine.has(id) ? g : g >= 1 ? -1 : 0;
      }
    });
    return { queries: chosen.map(({ q }) => q.list.query), itemIds, grades };
  }

  /** List indices of the query's own candidates for one step, within the budget. */
  private pick(q: PreparedQuery, rng: Rng): number[] {
    if (typeof this.budget !== 'number') return this.pickSeparately(q, rng, this.budget);
    const k = this.budget;
    const grades = q.list.grades;
    const positives = rng.shuffle(q.positives.slice());
    // a stable sort keeps the shuffled order among equal grades
    positives.sort((a, b) => grades[b]! - grades[a]!);
    const picks = positives.slice(0, k);
    const rest = q.others.slice();
    for (let i = 0; picks.length < k && i < rest.length; i++) {
      const j = i + rng.int(rest.length - i);
      [rest[i], rest[j]] = [rest[j]!, rest[i]!];
      picks.push(rest[i]!);
    }
    return picks;
  }

  /** Up to `positives` of the query's positives (by grade, random within one) and up to `negatives` of its other items, at random. */
  private pickSeparately(q: PreparedQuery, rng: Rng, budget: { positives: number; negatives: number }): number[] {
    const grades = q.list.grades;
    const byGrade = rng.shuffle(q.positives.slice());
    // a stable sort keeps the shuffled order among equal grades
    byGrade.sort((a, b) => grades[b]! - grades[a]!);
    return [...byGrade.slice(0, budget.positives), ...rng.shuffle(q.others.slice()).slice(0, budget.negatives)];
  }

  /** The query order of one epoch: a shuffle seeded by the epoch number. */
  private order(epoch: number): number[] {
    if (this.epochOrder?.epoch !== epoch) {
      const order = Array.from({ length: this.queries.length }, (_, i) => i);
      this.epochOrder = { epoch, order: this.rng.fork(`epoch:${epoch}`).shuffle(order) };
    }
    return this.epochOrder.order;
  }
}

/** Item ids a query must never see as a negative: its list entries at grade >= 1 and its positives. */
export function protectedItems(q: PreparedQuery): Set<number> {
  const out = new Set<number>();
  q.list.itemIds.forEach((id, i) => {
    if (q.list.grades[i]! >= 1) out.add(id);
  });
  for (const i of q.positives) out.add(q.list.itemIds[i]!);
  return out;
}
