import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CropsError } from '../../src/core/errors.ts';

/**
 * Line-by-line readers for the BEIR layout (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`).
 * Files are streamed, so memory holds only what the caller keeps. A malformed line either stops
 * the load with file:line and what was expected, or is skipped and counted (`onBadRow: skip`).
 */

export type OnBad = 'fail' | 'skip';

/** A line that is not what the format expects; `where` is file:line. */
export class BadLine extends Error {}

export interface LineCounts {
  rows: number;
  skipped: number;
  firstProblem?: string;
}

async function eachLine(file: string, onLine: (line: string, lineNo: number) => void, onBad: OnBad): Promise<LineCounts> {
  if (!existsSync(file)) throw new CropsError(`beir: ${file} not found; a BEIR folder has corpus.jsonl, queries.jsonl and qrels/<split>.tsv`);
  const counts: LineCounts = { rows: 0, skipped: 0 };
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      onLine(line, lineNo);
      counts.rows++;
    } catch (e) {
      if (!(e instanceof BadLine)) throw e;
      const message = `${file}:${lineNo}: ${e.message}`;
      if (onBad === 'fail') throw new CropsError(`${message} (set onBadRow: skip to skip and count such lines)`);
      counts.skipped++;
      counts.firstProblem ??= message;
    }
  }
  return counts;
}

function stringField(obj: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) throw new BadLine(`expected a "${key}" field`);
    return undefined;
  }
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw new BadLine(`field "${key}": expected a string, got ${JSON.stringify(v).slice(0, 40)}`);
  return v;
}

/** One JSON object per line with `_id` and the named text fields (`title` optional). */
export function readJsonlRecords(file: string, onRecord: (r: { id: string; title?: string; text: string }, lineNo: number) => void, onBad: OnBad): Promise<LineCounts> {
  return eachLine(file, (line, lineNo) => {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new BadLine(`expected one JSON object per line, got invalid JSON (${(e as Error).message})`);
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new BadLine('expected a JSON object with "_id" and "text"');
    const o = obj as Record<string, unknown>;
    const id = stringField(o, '_id', true)!;
    if (id === '') throw new BadLine('"_id" is empty');
    onRecord({ id, title: stringField(o, 'title', false), text: stringField(o, 'text', false) ?? '' }, lineNo);
  }, onBad);
}

/** `query-id <TAB> corpus-id <TAB> score`, with the header line BEIR writes (skipped if present). */
export function readQrels(file: string, onRow: (r: { queryId: string; docId: string; score: number }, lineNo: number) => void, onBad: OnBad): Promise<LineCounts> {
  return eachLine(file, (line, lineNo) => {
    const f = line.split('\t');
    if (lineNo === 1 && f[0] === 'query-id') return;
    if (f.length !== 3) throw new BadLine(`expected 3 tab-separated columns 'query-id corpus-id score', got ${f.length}`);
    const score = Number(f[2]);
    if (f[2]!.trim() === '' || !Number.isInteger(score)) throw new BadLine(`column 3 (score): expected an integer, got ${JSON.stringify(f[2])}`);
    onRow({ queryId: f[0]!.trim(), docId: f[1]!.trim(), score }, lineNo);
  }, onBad);
}
