/**
 * A re-implementation of the trec_eval (9.x) measures crops-lab reports, computed the way the C
 * program computes them: per query over the run sorted by {@link orderLikeTrecEval}, then averaged
 * over the evaluated queries, or over every query of the qrels with `complete` (`trec_eval -c`).
 *
 * Supported measures, named as on trec_eval's command line (`-m`): `recall.K[,K...]`,
 * `ndcg_cut.K[,K...]`, `P.K[,K...]`, `map_cut.K[,K...]` (each without cutoffs uses trec_eval's
 * defaults 5,10,15,20,30,100,200,500,1000), `map`, `recip_rank`, `num_q`, `num_ret`, `num_rel`,
 * `num_rel_ret`.
 * crops-lab's metric plugins correspond as recall@k = `recall.k`, ndcg@k = `ndcg_cut.k`,
 * mrr@k = `recip_rank` with `maxDocsPerTopic: k` (trec_eval `-M k`), map@k = `map_cut.k`.
 */
import { orderLikeTrecEval, compareBytes, type ScoredDoc } from './trec-order.ts';

/** qid -> retrieved documents in any order (trec_eval ignores the rank column). */
export type TrecRun = Map<string, ScoredDoc[]>;
/** qid -> docno -> relevance level (negative = in the pool but unjudged). */
export type TrecQrels = Map<string, Map<string, number>>;

export interface TrecEvalOptions {
  /** average over every query of the qrels, counting queries absent from the run as 0 (`-c`) */
  complete: boolean;
  /** smallest level that counts as relevant for recall, P and recip_rank (`-l`, default 1) */
  relevanceLevel?: number;
  /** evaluate only the first N documents of each query after sorting (`-M`) */
  maxDocsPerTopic?: number;
}

export interface TrecEvalResult {
  /** output names in request order, e.g. `recall_100`, `ndcg_cut_4`, `recip_rank` */
  names: string[];
  /** evaluated queries (in both run and qrels), in trec_eval's qid order */
  perQuery: Map<string, Record<string, number>>;
  /** trec_eval's `all` line: means, except num_* which are sums (num_q counts evaluated queries) */
  all: Record<string, number>;
}

const DEFAULT_CUTOFFS = [5, 10, 15, 20, 30, 100, 200, 500, 1000];
const CUT_MEASURES = ['recall', 'ndcg_cut', 'P', 'map_cut'] as const;
const SINGLE_MEASURES = ['map', 'recip_rank', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret'] as const;
type CutMeasure = (typeof CUT_MEASURES)[number];
type SingleMeasure = (typeof SINGLE_MEASURES)[number];

/** One requested measure: a cutoff measure with its cutoffs, or a single-valued one. */
export type MeasureRequest = { name: CutMeasure; cutoffs: number[] } | { name: SingleMeasure };

/** Parses trec_eval `-m` arguments; throws on unknown names or bad cutoffs. */
export function parseMeasures(measures: readonly string[]): MeasureRequest[] {
  return measures.map((m) => {
    const dot = m.indexOf('.');
    const name = dot < 0 ? m : m.slice(0, dot);
    const param = dot < 0 ? undefined : m.slice(dot + 1);
    if ((CUT_MEASURES as readonly string[]).includes(name)) {
      const cutoffs = param === undefined ? DEFAULT_CUTOFFS : param.split(',').map(Number);
      if (cutoffs.some((c) => !Number.isInteger(c) || c <= 0) || new Set(cutoffs).size !== cutoffs.length) {
        throw new Error(`measure '${m}': cutoffs must be distinct positive integers`);
      }
      // trec_eval walks cutoffs in ascending order, whatever order they were given in
      return { name: name as CutMeasure, cutoffs: [...cutoffs].sort((a, b) => a - b) };
    }
    if ((SINGLE_MEASURES as readonly string[]).includes(name) && param === undefined) return { name: name as SingleMeasure };
    throw new Error(`unknown or unsupported measure '${m}'; supported: ${[...CUT_MEASURES.map((c) => `${c}.K`), ...SINGLE_MEASURES].join(', ')}`);
  });
}

function outputNames(r: MeasureRequest): string[] {
  return 'cutoffs' in r ? r.cutoffs.map((c) => `${r.name}_${c}`) : [r.name];
}

/** trec_eval's RES_RELS: relevance of each ranked doc (-1 not in qrels, -2 unjudged) plus level counts. */
interface ResRels {
  rels: number[];
  /** count of judged docs per level >= 0 */
  levels: number[];
  numRel: number;
  numRelRet: number;
}

function formResRels(docs: readonly ScoredDoc[], judged: Map<string, number>, opts: TrecEvalOptions, qid: string): ResRels {
  const level = opts.relevanceLevel ?? 1;
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.docno)) throw new Error(`run: duplicate docno '${d.docno}' for query '${qid}'`);
    seen.add(d.docno);
  }
  const ordered = orderLikeTrecEval(docs).slice(0, opts.maxDocsPerTopic ?? Infinity);
  const rels = ordered.map((d) => {
    const r = judged.get(d.docno);
    return r === undefined ? -1 : r < 0 ? -2 : r;
  });
  const levels: number[] = [];
  for (const r of judged.values()) if (r >= 0) levels[r] = (levels[r] ?? 0) + 1;
  let numRel = 0;
  levels.forEach((n, r) => {
    if (r >= level) numRel += n ?? 0;
  });
  return { rels, levels, numRel, numRelRet: rels.filter((r) => r >= level).length };
}

function ndcgCut(res: ResRels, cutoffs: readonly number[]): number[] {
  const out: number[] = [];
  for (const k of cutoffs) {
    let dcg = 0;
    for (let i = 0; i < Math.min(k, res.rels.length); i++) {
      const gain = res.rels[i]!;
      if (gain > 0) dcg += gain / Math.log2(i + 2);
    }
    let ideal = 0;
    let i = 0;
    for (let lvl = res.levels.length - 1; lvl > 0 && i < k; lvl--) {
      for (let c = 0; c < (res.levels[lvl] ?? 0) && i < k; c++, i++) ideal += lvl / Math.log2(i + 2);
    }
    out.push(ideal > 0 ? dcg / ideal : dcg);
  }
  return out;
}

/**
 * Average precision over the first `depth` ranks, as trec_eval's `map` / `map_cut`: the precision at
 * each relevant rank, summed and divided by all relevant documents of the query (retrieved or not).
 */
function averagePrecision(res: ResRels, level: number, depth: number): number {
  if (res.numRel === 0) return 0;
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < Math.min(depth, res.rels.length); i++) {
    if (res.rels[i]! >= level) sum += ++hits / (i + 1);
  }
  return sum / res.numRel;
}

function measureQuery(req: MeasureRequest, res: ResRels, level: number): number[] {
  const relAt = (k: number) => {
    let n = 0;
    for (let i = 0; i < Math.min(k, res.rels.length); i++) if (res.rels[i]! >= level) n++;
    return n;
  };
  switch (req.name) {
    case 'recall':
      // trec_eval leaves recall at 0 for a query without relevant documents (and still averages it)
      return req.cutoffs.map((k) => (res.numRel === 0 ? 0 : relAt(k) / res.numRel));
    case 'P':
      return req.cutoffs.map((k) => relAt(k) / k);
    case 'ndcg_cut':
      return ndcgCut(res, req.cutoffs);
    case 'map':
      return [averagePrecision(res, level, Infinity)];
    case 'map_cut':
      return req.cutoffs.map((k) => averagePrecision(res, level, k));
    case 'recip_rank': {
      const i = res.rels.findIndex((r) => r >= level);
      return [i < 0 ? 0 : 1 / (i + 1)];
    }
    case 'num_q':
      return [1];
    case 'num_ret':
      return [res.rels.length];
    case 'num_rel':
      return [res.numRel];
    case 'num_rel_ret':
      return [res.numRelRet];
  }
}

/**
 * Evaluates a run against qrels like `trec_eval [-c] -q -m ...`. Queries of the run without qrels
 * are ignored; with `complete`, qrels queries without results count as 0 in the means.
 * Throws, like trec_eval, on duplicate docnos within a query or when no query can be evaluated.
 */
export function evaluateRun(run: TrecRun, qrels: TrecQrels, measures: readonly string[], opts: TrecEvalOptions): TrecEvalResult {
  const requests = parseMeasures(measures);
  const names = requests.flatMap(outputNames);
  const level = opts.relevanceLevel ?? 1;
  const perQuery = new Map<string, Record<string, number>>();
  const sums: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  // trec_eval reads the run sorted by qid and accumulates in that order
  for (const qid of [...run.keys()].sort(compareBytes)) {
    const judged = qrels.get(qid);
    if (!judged) continue;
    const res = formResRels(run.get(qid)!, judged, opts, qid);
    const values: Record<string, number> = {};
    for (const req of requests) {
      const vs = measureQuery(req, res, level);
      outputNames(req).forEach((n, i) => {
        values[n] = vs[i]!;
        sums[n]! += vs[i]!;
      });
    }
    perQuery.set(qid, values);
  }
  if (perQuery.size === 0) throw new Error('trec_eval: no queries with both results and relevance info');
  const denominator = opts.complete ? qrels.size : perQuery.size;
  const all: Record<string, number> = {};
  for (const req of requests) {
    for (const n of outputNames(req)) {
      if (req.name === 'num_q') all[n] = perQuery.size;
      else if (req.name.startsWith('num_')) all[n] = sums[n]!;
      else all[n] = sums[n]! / denominator;
    }
  }
  return { names, perQuery, all };
}
