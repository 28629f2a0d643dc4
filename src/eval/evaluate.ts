/**
 * The evaluation loop: rank each test set's queries with a built retriever and score the rankings
 * with metric plugins.
 *
 * Sets named in `rerankSets` (default: `judged`) rank only each query's own judged items, scored by
 * `retriever.scoreItems` (the usual meaning of NDCG@k on a sampled human-graded set); the trial
 * runner passes none when the dataset's judgments are complete (`LogStore.judgmentsComplete`,
 * e.g. the simulated world), so the judged set is searched like the others. The other sets rank
 * the whole corpus to `runDepth` (at least the largest cutoff requested for them). Before scoring, every ranking is put
 * in trec_eval's order (ties by docno descending), so the values equal `trec_eval -c` on the run
 * and qrels files that `trec-files.ts` writes from `runs`. Means are over all queries of a set.
 */
import { CropsError } from '../core/errors.ts';
import { didYouMean } from '../core/did-you-mean.ts';
import { METRIC_SPEC } from '../config/trial-config.ts';
import type { Metric } from '../extension-points/metric.ts';
import type { Ranking, Retriever } from '../extension-points/retriever.ts';
import type { TestSet } from './test-sets.ts';
import { rankingInTrecOrder } from './trec-order.ts';

/** One requested value: metric plugin name, cutoff, test set name. */
export interface EvalSpec {
  metric: string;
  k: number;
  set: string;
}

export interface EvaluateOptions {
  /** queries handed to the retriever per call (default 256) */
  queryBatch?: number;
  /** sets evaluated by re-ranking their judged items instead of searching the corpus */
  rerankSets?: readonly string[];
  /** corpus size, the search depth used to re-rank when the retriever has no `scoreItems` */
  corpusSize?: number;
  onProgress?: (set: string, done: number, total: number) => void;
  /** documents ranked per query of a searched set (default: the largest cutoff asked for); never fewer than that cutoff */
  runDepth?: number;
  /** the docno a run file writes for an item (default: its decimal id), which fixes trec_eval's tie order */
  docno?: (itemId: number) => string;
}

export interface Evaluation {
  /** mean per spec, keyed `metric@k/set` (e.g. `recall@100/ct`); sets without queries are absent */
  values: Record<string, number>;
  /** spec key -> query -> value */
  perQuery: Map<string, Map<string, number>>;
  /** set -> query -> ranking in the retriever's order (what a TREC run file records) */
  runs: Map<string, Map<string, Ranking>>;
  /** problems worth showing the user, e.g. a test set with no queries */
  warnings: string[];
}

/** `recall@100/ct` for a spec. */
export function specKey(spec: EvalSpec): string {
  return `${spec.metric}@${spec.k}/${spec.set}`;
}

/** Parses `metric@k/set`; throws a CropsError on anything else. */
export function parseEvalSpec(text: string): EvalSpec {
  const m = METRIC_SPEC.exec(text);
  if (!m || Number(m[2]) <= 0) throw new CropsError(`eval.metrics: '${text}' is not metric@k/set with k > 0 (e.g. recall@100/ct)`);
  return { metric: m[1]!, k: Number(m[2]), set: m[3]! };
}

function unknown(what: string, name: string, spec: string, known: string[]): CropsError {
  const hint = didYouMean(name, known);
  return new CropsError(`eval.metrics: unknown ${what} '${name}' in '${spec}'${hint ? `; did you mean '${hint}'?` : ''} (available: ${known.join(', ') || 'none'})`);
}

/** Best first by score, then lower item id, as the Retriever contract orders ties. */
function rankByScore(itemIds: ArrayLike<number>, scores: Float32Array): Ranking {
  const order = Array.from(itemIds, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || itemIds[a]! - itemIds[b]!);
  return { itemIds: Int32Array.from(order, (i) => itemIds[i]!), scores: Float32Array.from(order, (i) => scores[i]!) };
}

async function rerank(retriever: Retriever, set: TestSet, batch: string[], corpusSize: number | undefined): Promise<Ranking[]> {
  const judged = batch.map((q) => Array.from(set.byQuery.get(q)?.keys() ?? []));
  if (retriever.scoreItems) {
    const scores = await retriever.scoreItems(batch, judged);
    return scores.map((s, i) => rankByScore(judged[i]!, s));
  }
  // exact but costly: the full ranking restricted to the judged items
  const full = await retriever.search(batch, corpusSize ?? Number.MAX_SAFE_INTEGER);
  return full.map((r, i) => {
    const keep = new Set(judged[i]);
    const idx = Array.from(r.itemIds.keys()).filter((j) => keep.has(r.itemIds[j]!));
    return { itemIds: Int32Array.from(idx, (j) => r.itemIds[j]!), scores: Float32Array.from(idx, (j) => r.scores[j]!) };
  });
}

/** Ranks every test set named in `specs` and scores each spec; see the module comment. */
export async function evaluate(
  retriever: Retriever,
  sets: ReadonlyMap<string, TestSet>,
  specs: readonly EvalSpec[],
  metrics: ReadonlyMap<string, Metric>,
  opts: EvaluateOptions = {},
): Promise<Evaluation> {
  for (const s of specs) {
    const key = specKey(s);
    if (!sets.has(s.set)) throw unknown('test set', s.set, key, [...sets.keys()]);
    if (!metrics.has(s.metric)) throw unknown('metric', s.metric, key, [...metrics.keys()]);
    if (!Number.isInteger(s.k) || s.k <= 0) throw new CropsError(`eval.metrics: cutoff in '${key}' must be a positive integer`);
  }
  const batchSize = opts.queryBatch ?? 256;
  const rerankSets = new Set(opts.rerankSets ?? ['judged']);
  const result: Evaluation = { values: {}, perQuery: new Map(), runs: new Map(), warnings: [] };

  for (const name of new Set(specs.map((s) => s.set))) {
    const set = sets.get(name)!;
    const own = specs.filter((s) => s.set === name);
    const depth = Math.max(opts.runDepth ?? 0, ...own.map((s) => s.k));
    const run = new Map<string, Ranking>();
    for (let start = 0; start < set.queries.length; start += batchSize) {
      const batch = set.queries.slice(start, start + batchSize);
      const rankings = rerankSets.has(name) ? await rerank(retriever, set, batch, opts.corpusSize) : await retriever.search(batch, depth);
      if (rankings.length !== batch.length) throw new Error(`retriever returned ${rankings.length} rankings for ${batch.length} queries (set '${name}')`);
      batch.forEach((q, i) => run.set(q, rankings[i]!));
      opts.onProgress?.(name, Math.min(start + batchSize, set.queries.length), set.queries.length);
    }
    result.runs.set(name, run);
    if (set.queries.length === 0) {
      result.warnings.push(`test set '${name}' has no queries; ${own.map(specKey).join(', ')} not computed`);
      continue;
    }
    const ordered = new Map(set.queries.map((q) => [q, rankingInTrecOrder(run.get(q)!, opts.docno).itemIds]));
    for (const spec of own) {
      const metric = metrics.get(spec.metric)!;
      const values = new Map<string, number>();
      let sum = 0;
      for (const q of set.queries) {
        const v = metric.score(ordered.get(q)!, set.byQuery.get(q) ?? new Map(), spec.k);
        values.set(q, v);
        sum += v;
      }
      result.perQuery.set(specKey(spec), values);
      result.values[specKey(spec)] = sum / set.queries.length;
    }
  }
  return result;
}
