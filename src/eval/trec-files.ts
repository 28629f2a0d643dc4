/**
 * TREC run and qrels files for a test set, readable by trec_eval and by `crops eval`.
 *
 * Query ids are the dataset's own ids where it has them (BEIR), otherwise the query's index in the
 * set's sorted query list (`0`, `1`, ...), so the same set gets the same ids in every trial;
 * `<set>.queries.tsv` maps them back to the query text. Docnos are the dataset's own document ids
 * where it has them, otherwise decimal item ids. Scores are written with the shortest decimal that reads back as the same
 * number, so ties (and therefore trec_eval's tie order) survive the round trip.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isDiskFull, writeWhole } from '../core/atomic-write.ts';
import type { Qrels } from '../extension-points/samples.ts';
import type { Ranking } from '../extension-points/retriever.ts';
import type { ScoredDoc } from './trec-order.ts';
import type { TrecQrels, TrecRun } from './trec-eval.ts';

/** The query id written for the query at `index` of a set's sorted query list. */
export function qidOf(index: number): string {
  return String(index);
}

/** trec_eval splits on whitespace, so a run tag must not contain any. */
function cleanTag(tag: string): string {
  const t = tag.trim().replace(/\s+/g, '_');
  return t.length > 0 ? t : 'crops';
}

/** How queries and items are named in TREC files; by default positions and decimal item ids. */
export interface TrecNames {
  /** the dataset's ids of the set's queries, in the same order */
  qids?: readonly string[];
  docno?: (itemId: number) => string;
}

/** Run lines `qid Q0 docno rank score tag`, rank 1-based in the ranking's own order. */
export function formatRun(queries: readonly string[], rankings: ReadonlyMap<string, Ranking>, tag: string, names: TrecNames = {}): Buffer {
  const t = cleanTag(tag);
  const docno = names.docno ?? String;
  // bytes, built a query at a time: at depth 1000 a run over ten thousand queries is ten million
  // lines, more than one JS string may hold and far more small strings than the heap wants at once
  const chunks: Buffer[] = [];
  queries.forEach((q, i) => {
    const r = rankings.get(q);
    if (!r) return;
    const qid = names.qids?.[i] ?? qidOf(i);
    let text = '';
    for (let j = 0; j < r.itemIds.length; j++) text += `${qid} Q0 ${docno(r.itemIds[j]!)} ${j + 1} ${String(r.scores[j])} ${t}\n`;
    chunks.push(Buffer.from(text));
  });
  return Buffer.concat(chunks);
}

/** Qrels lines `qid 0 docno grade` for every judged pair (grade-0 pairs included), items ascending. */
export function formatQrels(queries: readonly string[], qrels: Qrels, names: TrecNames = {}): string {
  const docno = names.docno ?? String;
  const out: string[] = [];
  queries.forEach((q, i) => {
    const judged = qrels.byQuery.get(q);
    if (!judged) return;
    const qid = names.qids?.[i] ?? qidOf(i);
    for (const id of [...judged.keys()].sort((a, b) => a - b)) out.push(`${qid} 0 ${docno(id)} ${judged.get(id)}\n`);
  });
  return out.join('');
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const UNESCAPES: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };

/** `qid<TAB>query` lines; backslash, tab and line breaks in a query are escaped (`\\`, `\t`, `\n`, `\r`). */
export function formatQueries(queries: readonly string[], names: TrecNames = {}): string {
  return queries.map((q, i) => `${names.qids?.[i] ?? qidOf(i)}\t${q.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!)}\n`).join('');
}

/** Paths written by {@link writeTrecFiles}. */
export interface TrecFilePaths {
  run: string;
  qrels: string;
  queries: string;
}

/** Writes `<set>.run`, `<set>.qrels` and `<set>.queries.tsv` under `dir` (created if missing). */
export async function writeTrecFiles(
  dir: string,
  set: { name: string; queries: readonly string[]; qids?: readonly string[] } & Qrels,
  rankings: ReadonlyMap<string, Ranking>,
  tag: string,
  docno?: (itemId: number) => string,
): Promise<TrecFilePaths> {
  const names: TrecNames = { qids: set.qids, docno };
  await mkdir(dir, { recursive: true });
  const paths = { run: join(dir, `${set.name}.run`), qrels: join(dir, `${set.name}.qrels`), queries: join(dir, `${set.name}.queries.tsv`) };
  // on a full disk, the file being written is removed (and named in the error), and so are the ones
  // before it: the three files make sense only together
  const written: string[] = [];
  try {
    for (const [path, what, text] of [
      [paths.run, 'TREC run file', () => formatRun(set.queries, rankings, tag, names)],
      [paths.qrels, 'TREC qrels file', () => formatQrels(set.queries, set, names)],
      [paths.queries, 'queries file', () => formatQueries(set.queries, names)],
    ] as const) {
      await writeWhole(path, text(), what);
      written.push(path);
    }
  } catch (e) {
    if (isDiskFull(e)) await Promise.all(written.map((p) => unlink(p).catch(() => undefined)));
    throw e;
  }
  return paths;
}

function* contentLines(text: string): Generator<[number, string[]]> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    // trec_eval skips blank lines and '#' comments
    if (line === '' || line.startsWith('#')) continue;
    yield [i + 1, line.split(/\s+/)];
  }
}

/** Parses a run file (`qid iter docno rank score tag [...]`); the rank column is ignored, as by trec_eval. */
export function parseRun(text: string, source = 'run'): TrecRun {
  const run: TrecRun = new Map();
  for (const [lineNo, f] of contentLines(text)) {
    if (f.length < 6) throw new Error(`${source}:${lineNo}: expected 'qid Q0 docno rank score tag', got ${f.length} fields`);
    const score = Number(f[4]);
    if (!Number.isFinite(score)) throw new Error(`${source}:${lineNo}: score '${f[4]}' is not a number`);
    let docs = run.get(f[0]!);
    if (!docs) run.set(f[0]!, (docs = []));
    docs.push({ docno: f[2]!, score } satisfies ScoredDoc);
  }
  return run;
}

/** Parses a qrels file (`qid iter docno grade`); a docno judged twice for one query is an error, as in trec_eval. */
export function parseQrels(text: string, source = 'qrels'): TrecQrels {
  const qrels: TrecQrels = new Map();
  for (const [lineNo, f] of contentLines(text)) {
    if (f.length !== 4) throw new Error(`${source}:${lineNo}: expected 'qid 0 docno grade', got ${f.length} fields`);
    const grade = Number(f[3]);
    if (!Number.isInteger(grade)) throw new Error(`${source}:${lineNo}: grade '${f[3]}' is not an integer`);
    let judged = qrels.get(f[0]!);
    if (!judged) qrels.set(f[0]!, (judged = new Map()));
    if (judged.has(f[2]!)) throw new Error(`${source}:${lineNo}: docno '${f[2]}' judged twice for query '${f[0]}'`);
    judged.set(f[2]!, grade);
  }
  return qrels;
}

/** Parses a `queries.tsv` written by {@link formatQueries}: qid -> query text. */
export function parseQueries(text: string, source = 'queries.tsv'): Map<string, string> {
  const out = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`${source}:${i + 1}: expected 'qid<TAB>query'`);
    out.set(line.slice(0, tab), line.slice(tab + 1).replace(/\\(.)/g, (m, c: string) => UNESCAPES[c] ?? m));
  });
  return out;
}
