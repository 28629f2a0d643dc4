import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Candidate } from '../../src/extension-points/samples.ts';
import { Bm25Index } from '../../kits/text/bm25-index.ts';
import type { MinedCandidates, PositiveSource } from '../../src/extension-points/positive-source.ts';
import { analyzerFor, ANALYZERS } from '../../kits/text/english-analyzer.ts';

export const QrelsParams = z
  .object({
    bm25Negatives: z.number().int().min(0).default(0).describe("per query, this many of BM25's top-ranked corpus items the query does not judge relevant, as `bm25-negative` candidates (graded between positives and in-batch negatives by `hla`)"),
    k1: z.number().nonnegative().default(0.9).describe('BM25 k1 of the hard-negative search'),
    b: z.number().min(0).max(1).default(0.4).describe('BM25 b of the hard-negative search'),
    analyzer: z.enum(ANALYZERS).default('english').describe('analyzer of the hard-negative search (see the bm25 retriever)'),
  })
  .strict();
export type QrelsParams = z.output<typeof QrelsParams>;

/** The origin of a judged pair of grade g: `qrel` for 1, `qrel-<g>` above, so graded qrels keep their order. */
export function qrelOrigin(grade: number): string {
  return grade <= 1 ? 'qrel' : `qrel-${Math.min(grade, 3)}`;
}

/**
 * Judged training pairs as positives: every pair of the dataset's `trainJudgments` (BEIR: the train
 * split's qrels) with grade >= 1 becomes a candidate of origin `qrel` (grade 1) or `qrel-2`,
 * `qrel-3` (grade-0 pairs are left out). With `bm25Negatives`, each query also gets BM25's best
 * items that it does not judge relevant, as `bm25-negative` (DPR-style static hard negatives).
 */
@injectable()
export class QrelsPositiveSource implements PositiveSource {
  constructor(@inject(PluginParams) private readonly params: QrelsParams) {}

  async mine(store: LogStore): Promise<MinedCandidates> {
    const p = this.params;
    const pairs = store.trainJudgments;
    if (!pairs) throw new Error("qrels positive source: the dataset has no training judgments (with 'beir', set trainSplit)");
    const candidates: Candidate[] = [];
    const relevant = new Map<string, Set<number>>();
    for (const j of pairs) {
      if (j.grade < 1) continue;
      candidates.push({ query: j.query, itemId: j.itemId, origin: qrelOrigin(j.grade) });
      let set = relevant.get(j.query);
      if (!set) relevant.set(j.query, (set = new Set()));
      set.add(j.itemId);
    }
    if (p.bm25Negatives > 0 && relevant.size > 0) {
      const index = new Bm25Index({ k1: p.k1, b: p.b, analyzer: analyzerFor(p.analyzer) });
      index.build(store.items.map((item) => item.text));
      const queries = [...relevant.keys()];
      const rankings = index.search(queries, p.bm25Negatives + Math.max(...[...relevant.values()].map((s) => s.size)));
      queries.forEach((q, i) => {
        const skip = relevant.get(q)!;
        let taken = 0;
        for (const id of rankings[i]!.itemIds) {
          if (taken >= p.bm25Negatives) break;
          if (skip.has(id)) continue;
          candidates.push({ query: q, itemId: id, origin: 'bm25-negative' });
          taken++;
        }
      });
    }
    return { candidates };
  }
}

export default definePlugin({
  kind: 'positiveSource',
  name: 'qrels',
  consults: [],
  summary: "judged training pairs (BEIR's train qrels) as positives, graded by their score, optionally with BM25 hard negatives",
  schema: QrelsParams,
  implementation: QrelsPositiveSource,
});
