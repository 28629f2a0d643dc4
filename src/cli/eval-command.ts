import { readFile } from 'node:fs/promises';
import { didYouMean, editDistance } from '../core/did-you-mean.ts';
import { CropsError } from '../core/errors.ts';
import { evaluateRun, parseMeasures, type MeasureRequest, type TrecQrels, type TrecRun } from '../eval/trec-eval.ts';
import { parseQrels, parseRun } from '../eval/trec-files.ts';
import type { Io } from './io.ts';

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
  /** `-l`: smallest grade that counts as relevant */
  relevanceLevel?: number;
}

/** trec_eval prints measures in the order of its measure table, whatever the `-m` order. */
const TABLE_ORDER = ['num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'recip_rank', 'P', 'recall', 'ndcg_cut'] as const;
const INTEGER_MEASURES = new Set(['num_q', 'num_ret', 'num_rel', 'num_rel_ret']);
const CUT_MEASURES = new Set(['P', 'recall', 'ndcg_cut']);

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
  if (measures.length === 0) throw new CropsError(`crops eval needs at least one -m MEASURE (supported: ${supportedList()})`);
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
export async function evalCommand(args: EvalArgs, io: Io): Promise<number> {
  const measures = normaliseMeasures(args.measures);
  const qrels: TrecQrels = await readInput(args.qrels, 'qrels', parseQrels);
  const run: TrecRun = await readInput(args.run, 'run', parseRun);
  let result;
  try {
    result = evaluateRun(run, qrels, measures, { complete: args.complete, maxDocsPerTopic: args.maxDocsPerTopic, relevanceLevel: args.relevanceLevel });
  } catch (e) {
    throw new CropsError((e as Error).message);
  }
  const isInt = (name: string) => INTEGER_MEASURES.has(name);
  const lines: string[] = [];
  if (args.perQuery) {
    for (const [qid, values] of result.perQuery) {
      // trec_eval has no per-query num_q line
      for (const name of result.names) if (name !== 'num_q') lines.push(formatTrecEvalLine(name, qid, values[name]!, isInt(name)));
    }
  }
  const all = { ...result.all };
  if (args.complete) {
    // with -c trec_eval counts every qrels query, and every positively graded document, in the summary
    if ('num_q' in all) all.num_q = qrels.size;
    if ('num_rel' in all) all.num_rel = [...qrels.values()].reduce((n, judged) => n + [...judged.values()].filter((g) => g > 0).length, 0);
  }
  for (const name of result.names) lines.push(formatTrecEvalLine(name, 'all', all[name]!, isInt(name)));
  io.out(lines.join(''));
  return 0;
}

/** Parses an integer flag value of at least `min`; undefined when the flag is absent. */
export function integerFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new CropsError(`${flag} expects an integer >= ${min}, got '${value}'`);
  return n;
}
