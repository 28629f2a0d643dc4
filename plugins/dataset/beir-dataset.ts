import { inject, injectable, optional } from 'inversify';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { CropsError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginLogger, PluginParams } from '../../src/core/services.ts';
import type { Item, Judgment, LogStore, NamedJudgments } from '../../src/extension-points/log-store.ts';
import type { Dataset } from '../../src/extension-points/dataset.ts';
import { readJsonlRecords, readQrels, type LineCounts } from '../../kits/text/beir-files.ts';

const SPLIT = z.string().regex(/^[a-z0-9-]+$/, 'a split name of lowercase letters, digits and dashes (it names qrels/<split>.tsv and the evaluation set)');

export const BeirParams = z
  .object({
    dir: z.string().min(1).default('data/beir').describe('folder (relative to the working directory) in the BEIR layout: corpus.jsonl, queries.jsonl, qrels/<split>.tsv'),
    trainSplit: SPLIT.nullable().default('train').describe('qrels split whose judged pairs train (read by the `qrels` positive source); null for none'),
    evalSplits: z.array(SPLIT).default(['test']).describe('qrels splits evaluated over the whole corpus, each an evaluation set of its name (`ndcg@10/test`)'),
    devFromTrain: z.number().min(0).max(0.5).default(0).describe("hold out this fraction of the train split's queries (chosen by a hash of their ids, the same every run) as an evaluation set named `dev`, for choices that must not look at test"),
    title: z.boolean().default(true).describe('put the document title before its text'),
    titleSeparator: z.string().default(' ').describe('what joins title and text (BEIR and Pyserini use a space)'),
    onBadRow: z.enum(['fail', 'skip']).default('fail').describe('a malformed JSON line or qrels row stops the load (naming file:line) or is skipped and counted'),
    onUnknownId: z.enum(['fail', 'skip']).default('fail').describe('a qrels row naming a query or document id that is not in queries.jsonl / corpus.jsonl stops the load or is skipped and counted'),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.devFromTrain > 0 && p.evalSplits.includes('dev')) ctx.addIssue({ code: 'custom', path: ['devFromTrain'], message: "the held-out set is named 'dev', which evalSplits already names; drop one of them" });
    if (p.devFromTrain > 0 && !p.trainSplit) ctx.addIssue({ code: 'custom', path: ['devFromTrain'], message: 'needs a trainSplit to hold queries out of' });
  });
export type BeirParams = z.output<typeof BeirParams>;

/**
 * A retrieval collection in the BEIR layout (SciFact, NFCorpus, MS MARCO...). Documents keep their
 * `_id` as external id (the docno of TREC files); items get dense ids in file order. Each evaluation
 * split becomes a judged set searched over the whole corpus, named after the split, with the
 * split's query ids as TREC qids; the train split's pairs are `trainJudgments`, turned into
 * positives by the `qrels` positive source. There are no search sessions, so `ct` and `qr` are empty.
 * Queries are keyed by their text in crops-lab: two ids with one text in a split are merged (counted).
 */
@injectable()
export class BeirDataset implements Dataset {
  private store?: Promise<LogStore>;

  constructor(
    @inject(PluginParams) private readonly params: BeirParams,
    @inject(PluginLogger) @optional() private readonly logger?: Logger,
  ) {}

  load(): Promise<LogStore> {
    this.store ??= this.read();
    return this.store;
  }

  private async read(): Promise<LogStore> {
    const p = this.params;
    const facts: Record<string, number | string> = { dataset: 'beir', dir: p.dir };
    const note = (what: string, c: LineCounts) => {
      facts[`skippedRows.${what}`] = c.skipped;
      if (c.skipped > 0) this.logger?.warn(`beir: skipped ${c.skipped} bad lines of ${what}; first: ${c.firstProblem}`);
    };

    const items: Item[] = [];
    const docIndex = new Map<string, number>();
    const corpusFile = join(p.dir, 'corpus.jsonl');
    note('corpus', await readJsonlRecords(corpusFile, (r, lineNo) => {
      if (docIndex.has(r.id)) throw new CropsError(`${corpusFile}:${lineNo}: duplicate document _id '${r.id}' (first at item ${docIndex.get(r.id)}); ids must be unique`);
      const text = p.title && r.title ? `${r.title}${p.titleSeparator}${r.text}` : r.text;
      docIndex.set(r.id, items.length);
      items.push({ id: items.length, text, externalId: r.id, ...(r.title ? { fields: { caption: r.title } } : {}) });
    }, p.onBadRow));

    const queries = new Map<string, string>();
    const queriesFile = join(p.dir, 'queries.jsonl');
    note('queries', await readJsonlRecords(queriesFile, (r, lineNo) => {
      if (queries.has(r.id)) throw new CropsError(`${queriesFile}:${lineNo}: duplicate query _id '${r.id}'; ids must be unique`);
      queries.set(r.id, r.text);
    }, p.onBadRow));

    const readSplit = async (split: string): Promise<NamedJudgments> => {
      const file = join(p.dir, 'qrels', `${split}.tsv`);
      const judgments: Judgment[] = [];
      const queryIds = new Map<string, string>();
      const seen = new Set<string>();
      let unknown = 0;
      let merged = 0;
      note(`qrels.${split}`, await readQrels(file, (r, lineNo) => {
        const query = queries.get(r.queryId);
        const itemId = docIndex.get(r.docId);
        if (query === undefined || itemId === undefined) {
          const what = query === undefined ? `query-id '${r.queryId}' is not in ${queriesFile}` : `corpus-id '${r.docId}' is not in ${corpusFile}`;
          if (p.onUnknownId === 'fail') throw new CropsError(`${file}:${lineNo}: ${what} (set onUnknownId: skip to skip and count such rows)`);
          unknown++;
          return;
        }
        const pair = `${r.queryId}\t${r.docId}`;
        if (seen.has(pair)) throw new CropsError(`${file}:${lineNo}: query '${r.queryId}' judges corpus-id '${r.docId}' twice`);
        seen.add(pair);
        const known = queryIds.get(query);
        if (known === undefined) queryIds.set(query, r.queryId);
        else if (known !== r.queryId) merged++;
        judgments.push({ query, itemId, grade: Math.max(0, r.score) });
      }, p.onBadRow));
      facts[`unknownIdRows.${split}`] = unknown;
      if (unknown > 0) this.logger?.warn(`beir: skipped ${unknown} rows of ${file} naming unknown ids`);
      if (merged > 0) {
        facts[`mergedQueryRows.${split}`] = merged;
        this.logger?.warn(`beir: ${merged} rows of ${file} belong to a query id whose text another id of the split has; they count as one query`);
      }
      facts[`queries.${split}`] = queryIds.size;
      facts[`judgments.${split}`] = judgments.length;
      return { name: split, judgments, queryIds };
    };

    const evalSets: NamedJudgments[] = [];
    for (const split of p.evalSplits) evalSets.push(await readSplit(split));
    let train = p.trainSplit ? await readSplit(p.trainSplit) : undefined;
    if (train && p.devFromTrain > 0) {
      const { kept, held } = holdOut(train, p.devFromTrain);
      train = kept;
      evalSets.push(held);
      facts['queries.dev'] = held.queryIds!.size;
      facts[`queries.${p.trainSplit}.kept`] = kept.queryIds!.size;
    }
    facts.items = items.length;
    facts.queries = queries.size;
    const empty = () => ({ sessions: [], impressions: [], recInteractions: [] });
    return { items, train: empty(), test: empty(), judgments: [], evalSets, ...(train ? { trainJudgments: train.judgments } : {}), description: facts };
  }
}

/**
 * Splits a judged set by query: a query goes to the held-out `dev` set when a hash of its id falls
 * below `fraction`, so the split depends only on the ids (not on file order or the trial seed).
 */
function holdOut(set: NamedJudgments, fraction: number): { kept: NamedJudgments; held: NamedJudgments } {
  const toDev = new Set<string>();
  for (const [query, id] of set.queryIds!) if (createHash('sha256').update(`dev:${id}`).digest().readUInt32BE(0) / 2 ** 32 < fraction) toDev.add(query);
  const part = (dev: boolean): NamedJudgments => ({
    name: dev ? 'dev' : set.name,
    judgments: set.judgments.filter((j) => toDev.has(j.query) === dev),
    queryIds: new Map([...set.queryIds!].filter(([q]) => toDev.has(q) === dev)),
  });
  return { kept: part(false), held: part(true) };
}

export default definePlugin({
  kind: 'dataset',
  name: 'beir',
  summary: 'a retrieval collection in the BEIR layout (corpus.jsonl, queries.jsonl, qrels/<split>.tsv); eval splits become sets named after them',
  schema: BeirParams,
  implementation: BeirDataset,
  // queries, documents and qrels only: nothing for the sources that mine search or feed logs
  provides: ['no-interaction-logs'],
  testSets: (p) => [...p.evalSplits, ...(p.devFromTrain > 0 ? ['dev'] : [])],
});
