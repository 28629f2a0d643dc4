import { readFile } from 'node:fs/promises';
import { didYouMean, editDistance } from '../core/did-you-mean.ts';
import { CropsError } from '../core/errors.ts';
import type { Metric } from '../extension-points/metric.ts';
import { evaluateRun, parseMeasures, type MeasureRequest, type TrecEvalResult, type TrecQrels, type TrecRun } from '../eval/trec-eval.ts';
import { parseQrels, parseRun } from '../eval/trec-files.ts';
import { orderLikeTrecEval } from '../eval/trec-order.ts';
import type { Io } from './io.ts';

/** The metric plugins `crops eval` can score with, by name (`ndcg@10` asks for `ndcg` at 10). */
export interface MetricPlugins {
  names: string[];
  create(name: string): Metric;
}

/** Options of `crops eval`, named after trec_eval's flags. */
export interface EvalArgs {
  qrels: string;
  run: string;
  /** `-m` arguments, e.g. `recall.100`, `ndcg_cut.4,10`, `recip_rank` */
  measures: string[];
  /** `-q`: print every evaluated query before the `all` lines */
  perQuery: boolean;
  /** `-c`: average over every query of the qrels */
  complete: boolean;
  /** `-M`: evaluate only the first N documents of each query */
  maxDocsPerTopic?: number;
  /** `-l`: smallest grade that counts as relevant (trec_eval measures; a metric plugin keeps its own rule) */
  relevanceLevel?: number;
}

/** trec_eval prints measures in the order of its measure table, whatever the `-m` order. */
const TABLE_ORDER = ['num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'map', 'recip_rank', 'P', 'recall', 'ndcg_cut', 'map_cut'] as const;
const INTEGER_MEASURES = new Set(['num_q', 'num_ret', 'num_rel', 'num_rel_ret']);
const CUT_MEASURES = new Set(['P', 'recall', 'ndcg_cut', 'map_cut']);

/**
 * C's `%.4f` as glibc prints it: the exact binary value rounded, exact halves to even
 * (JavaScript's toFixed rounds exact halves up, e.g. 0.03125 -> 0.0313 where C prints 0.0312).
 */
export function formatFixed4(x: number): string {
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 5);
  if (/^50*$/.test(tail)) {
    const last = Number(exact[dot + 4]);
    // an exact half: round toward the even last digit, i.e. truncate when it is already even
    if (last % 2 === 0) return `${x < 0 ? '-' : ''}${exact.slice(0, dot + 5)}`;
  }
  return x.toFixed(4);
}

/** One output line as trec_eval writes it: `%-22s\t%s\t%6.4f` (or `%ld` for the num_* counts). */
export function formatTrecEvalLine(name: string, qid: string, value: number, integer: boolean): string {
  const v = integer ? String(Math.trunc(value)) : formatFixed4(value).padStart(6);
  return `${name.padEnd(22)}\t${qid}\t${v}\n`;
}

/** Validates `-m` arguments, merges repeats (cutoffs united) and puts them in trec_eval's order. */
export function normaliseMeasures(measures: readonly string[]): string[] {
  const merged = new Map<string, Set<number> | null>();
  for (const m of measures) {
    let req: MeasureRequest;
    try {
      [req] = parseMeasures([m]) as [MeasureRequest];
    } catch (e) {
      throw new CropsError(measureProblem(m, (e as Error).message));
    }
    if ('cutoffs' in req) {
      const cuts = (merged.get(req.name) as Set<number> | undefined) ?? new Set<number>();
      for (const c of req.cutoffs) cuts.add(c);
      merged.set(req.name, cuts);
    } else merged.set(req.name, null);
  }
  return TABLE_ORDER.filter((n) => merged.has(n)).map((n) => {
    const cuts = merged.get(n);
    return cuts ? `${n}.${[...cuts].sort((a, b) => a - b).join(',')}` : n;
  });
}

function supportedList(): string {
  return TABLE_ORDER.map((n) => (CUT_MEASURES.has(n) ? `${n}.K[,K...]` : n)).join(', ');
}

function measureProblem(m: string, parserMessage: string): string {
  const dot = m.indexOf('.');
  const name = dot < 0 ? m : m.slice(0, dot);
  const suffix = dot < 0 ? '' : m.slice(dot);
  if ((TABLE_ORDER as readonly string[]).includes(name)) {
    return CUT_MEASURES.has(name) ? parserMessage : `measure '${name}' takes no cutoffs (got '${m}')`;
  }
  let guess = didYouMean(name, TABLE_ORDER);
  // a suggestion that shares almost nothing with the name (map -> P) only confuses
  if (guess && editDistance(name.toLowerCase(), guess.toLowerCase()) >= Math.max(name.length, guess.length) - 1) guess = undefined;
  return `unknown measure '${m}'${guess ? `; did you mean '${guess}${CUT_MEASURES.has(guess) ? suffix : ''}'?` : ''} (supported: ${supportedList()})`;
}

/** One metric plugin measure: `name@k[,k...]`, scored per query by the plugin itself. */
interface PluginMeasure {
  metric: Metric;
  cutoffs: number[];
}

/**
 * Parses the `name@k[,k...]` measures, which name metric plugins (bundled or `--plugin`), so a new
 * metric plugin is usable here as soon as it is registered. Repeats unite their cutoffs.
 */
export function pluginMeasures(measures: readonly string[], plugins: MetricPlugins): PluginMeasure[] {
  const byName = new Map<string, Set<number>>();
  for (const m of measures) {
    const at = m.indexOf('@');
    const name = m.slice(0, at);
    if (!plugins.names.includes(name)) {
      const guess = didYouMean(name, plugins.names);
      throw new CropsError(`unknown metric plugin '${name}' in '${m}'${guess ? `; did you mean '${guess}${m.slice(at)}'?` : ''} (metric plugins: ${plugins.names.join(', ')})`);
    }
    const cutoffs = m.slice(at + 1).split(',').map((c) => Number(c));
    if (cutoffs.some((c) => !Number.isInteger(c) || c <= 0)) throw new CropsError(`measure '${m}': the cutoffs after '@' must be positive integers, e.g. ${name}@10 or ${name}@5,10`);
    const set = byName.get(name) ?? new Set<number>();
    for (const c of cutoffs) set.add(c);
    byName.set(name, set);
  }
  return [...byName].map(([name, cuts]) => ({ metric: plugins.create(name), cutoffs: [...cuts].sort((a, b) => a - b) }));
}

/**
 * Scores the plugin measures per query over the run in trec_eval's order, cut at `-M`. Documents
 * become integer ids per query; unjudged (negative) qrels entries are left out, as the metrics see
 * only graded items.
 */
function scorePluginMeasures(measures: readonly PluginMeasure[], run: TrecRun, qrels: TrecQrels, queries: readonly string[], maxDocs: number | undefined): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const qid of queries) {
    const ids = new Map<string, number>();
    const idOf = (docno: string) => {
      let id = ids.get(docno);
      if (id === undefined) ids.set(docno, (id = ids.size));
      return id;
    };
    const judged = new Map<number, number>();
    for (const [docno, grade] of qrels.get(qid)!) if (grade >= 0) judged.set(idOf(docno), grade);
    const ranked = orderLikeTrecEval(run.get(qid)!).slice(0, maxDocs ?? Infinity).map((d) => idOf(d.docno));
    const values: Record<string, number> = {};
    for (const { metric, cutoffs } of measures) for (const k of cutoffs) values[metric.label(k)] = metric.score(ranked, judged, k);
    out.set(qid, values);
  }
  return out;
}

async function readInput<T>(path: string, what: string, parse: (text: string, source: string) => T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CropsError(`cannot read ${what} file '${path}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return parse(text, path);
  } catch (e) {
    throw new CropsError((e as Error).message);
  }
}

/**
 * `crops eval`: trec_eval over a run and qrels file, printing `measure<TAB>qid<TAB>value` lines,
 * per evaluated query with `-q`, then the `all` summary.
 */
export async function evalCommand(args: EvalArgs, io: Io, loadPlugins: () => Promise<MetricPlugins>): Promise<number> {
  const isPlugin = (m: string) => m.includes('@');
  if (args.measures.length === 0) {
    const { names } = await loadPlugins();
    throw new CropsError(`crops eval needs at least one -m MEASURE (trec_eval: ${supportedList()}; metric plugins as NAME@K: ${names.join(', ')})`);
  }
  const measures = normaliseMeasures(args.measures.filter((m) => !isPlugin(m)));
  // the registry is loaded only when a plugin measure asks for it
  const extra = args.measures.some(isPlugin) ? pluginMeasures(args.measures.filter(isPlugin), await loadPlugins()) : [];
  const qrels: TrecQrels = await readInput(args.qrels, 'qrels', parseQrels);
  const run: TrecRun = await readInput(args.run, 'run', parseRun);
  let trec: TrecEvalResult;
  try {
    // evaluating also checks the run (duplicate docnos, no query in common), plugin measures or not
    trec = evaluateRun(run, qrels, measures.length > 0 ? measures : ['num_q'], { complete: args.complete, maxDocsPerTopic: args.maxDocsPerTopic, relevanceLevel: args.relevanceLevel });
  } catch (e) {
    throw new CropsError((e as Error).message);
  }
  const result: TrecEvalResult = measures.length > 0 ? trec : { names: [], perQuery: new Map([...trec.perQuery.keys()].map((q) => [q, {}])), all: {} };
  const queries = [...result.perQuery.keys()];
  const fromPlugins = scorePluginMeasures(extra, run, qrels, queries, args.maxDocsPerTopic);
  const pluginNames = extra.flatMap(({ metric, cutoffs }) => cutoffs.map((k) => metric.label(k)));
  const names = [...result.names, ...pluginNames];
  const isInt = (name: string) => INTEGER_MEASURES.has(name);
  const lines: string[] = [];
  if (args.perQuery) {
    for (const [qid, values] of result.perQuery) {
      const all = { ...values, ...fromPlugins.get(qid) };
      // trec_eval has no per-query num_q line
      for (const name of names) if (name !== 'num_q') lines.push(formatTrecEvalLine(name, qid, all[name]!, isInt(name)));
    }
  }
  const all = { ...result.all };
  if (args.complete) {
    // with -c trec_eval counts every qrels query, and every positively graded document, in the summary
    if ('num_q' in all) all.num_q = qrels.size;
    if ('num_rel' in all) all.num_rel = [...qrels.values()].reduce((n, judged) => n + [...judged.values()].filter((g) => g > 0).length, 0);
  }
  // plugin measures average like trec_eval's: over the evaluated queries, or over every qrels query with -c
  const denominator = args.complete ? qrels.size : fromPlugins.size;
  for (const name of pluginNames) all[name] = [...fromPlugins.values()].reduce((sum, v) => sum + v[name]!, 0) / denominator;
  for (const name of names) lines.push(formatTrecEvalLine(name, 'all', all[name]!, isInt(name)));
  io.out(lines.join(''));
  return 0;
}

