import { Bm25Index, type Bm25Settings } from '../text/bm25-index.ts';
import { protectedItems, type PreparedQuery } from './in-batch-batches.ts';
import type { ItemTexts } from '../../src/extension-points/samples.ts';

/**
 * Static lexical hard negatives (DPR): per query, the `count` corpus items BM25 ranks highest among
 * those the query does not list as relevant ({@link protectedItems}), best first. Pseudo-items are
 * never candidates: they only exist as some query's positive.
 */
export function bm25HardNegatives(items: ItemTexts, queries: readonly PreparedQuery[], count: number, settings: Bm25Settings): number[][] {
  const index = new Bm25Index(settings);
  index.build(items.texts.slice(0, items.corpusSize));
  return queries.map((q) => {
    const skip = protectedItems(q);
    // enough depth that `count` items survive even when every protected item ranks on top
    const [ranking] = index.search([q.list.query], count + skip.size);
    return firstUnprotected(ranking!.itemIds, skip, count);
  });
}

/** The first `count` ids of a ranking that are not in `skip`, in ranking order. */
export function firstUnprotected(ranking: ArrayLike<number>, skip: ReadonlySet<number>, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ranking.length && out.length < count; i++) if (!skip.has(ranking[i]!)) out.push(ranking[i]!);
  return out;
}
