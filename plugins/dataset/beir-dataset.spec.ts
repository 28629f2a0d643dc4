import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestSets } from '../../src/eval/test-sets.ts';
import { describeDatasetConformance } from '../../test/conformance/data-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import type { Dataset } from '../../src/extension-points/dataset.ts';
import plugin from './beir-dataset.ts';

const SCIFACT = resolve('../shared/data/scifact');

interface Folder {
  corpus?: string[];
  queries?: string[];
  qrels?: Record<string, string[]>;
}

const GOOD: Required<Folder> = {
  corpus: [
    JSON.stringify({ _id: 'doc-b', title: 'Fox dens', text: 'Foxes dig dens.' }),
    JSON.stringify({ _id: 'doc-a', title: '', text: 'Whales sing.' }),
    JSON.stringify({ _id: '77', title: 'Owls', text: 'Owls hunt at night.' }),
  ],
  queries: [JSON.stringify({ _id: 'q1', text: 'where do foxes live' }), JSON.stringify({ _id: 'q2', text: 'whale song' }), JSON.stringify({ _id: 'q3', text: 'night birds' })],
  qrels: { train: ['query-id\tcorpus-id\tscore', 'q1\tdoc-b\t1', 'q3\t77\t2'], test: ['query-id\tcorpus-id\tscore', 'q2\tdoc-a\t1', 'q2\t77\t0'] },
};

function writeFolder(f: Folder = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'crops-beir-'));
  mkdirSync(join(dir, 'qrels'));
  writeFileSync(join(dir, 'corpus.jsonl'), (f.corpus ?? GOOD.corpus).join('\n') + '\n');
  writeFileSync(join(dir, 'queries.jsonl'), (f.queries ?? GOOD.queries).join('\n') + '\n');
  for (const [split, rows] of Object.entries(f.qrels ?? GOOD.qrels)) writeFileSync(join(dir, 'qrels', `${split}.tsv`), rows.join('\n') + '\n');
  return dir;
}

const load = (params: Record<string, unknown>) => instantiate<Dataset>(plugin, params).load();

describe('beir dataset', () => {
  it('keeps the user ids, joins title and text, and names evaluation sets after their splits', async () => {
    const store = await load({ dir: writeFolder() });
    expect(store.items.map((i) => [i.id, i.externalId, i.text])).toEqual([
      [0, 'doc-b', 'Fox dens Foxes dig dens.'],
      [1, 'doc-a', 'Whales sing.'],
      [2, '77', 'Owls Owls hunt at night.'],
    ]);
    expect(store.trainJudgments).toEqual([
      { query: 'where do foxes live', itemId: 0, grade: 1 },
      { query: 'night birds', itemId: 2, grade: 2 },
    ]);
    const sets = buildTestSets(store);
    const test = sets.get('test')!;
    expect(test.queries).toEqual(['whale song']);
    expect(test.qids).toEqual(['q2']);
    expect([...test.byQuery.get('whale song')!]).toEqual([[1, 1], [2, 0]]);
    const untitled = await load({ dir: writeFolder(), title: false });
    expect(untitled.items[0]!.text).toBe('Foxes dig dens.');
    const sep = await load({ dir: writeFolder(), titleSeparator: '. ' });
    expect(sep.items[2]!.text).toBe('Owls. Owls hunt at night.');
  });

  it('declares its evaluation sets from the params, before reading anything', () => {
    expect(plugin.testSets!(plugin.schema.parse({ evalSplits: ['dev', 'test'] }))).toEqual(['dev', 'test']);
    expect(plugin.testSets!(plugin.schema.parse({ devFromTrain: 0.2 }))).toEqual(['test', 'dev']);
    expect(() => plugin.schema.parse({ devFromTrain: 0.2, evalSplits: ['dev'] })).toThrow(/already names/);
  });

  it.runIf(existsSync(SCIFACT))('holds out a fixed share of the train queries as a dev set, disjoint from what trains', async () => {
    const store = await load({ dir: SCIFACT, devFromTrain: 0.2 });
    const dev = store.evalSets!.find((s) => s.name === 'dev')!;
    const devQueries = new Set(dev.judgments.map((j) => j.query));
    const trainQueries = new Set(store.trainJudgments!.map((j) => j.query));
    expect([...devQueries].filter((q) => trainQueries.has(q))).toEqual([]);
    expect(devQueries.size + trainQueries.size).toBe(807);
    expect(devQueries.size).toBeGreaterThan(120);
    expect(devQueries.size).toBeLessThan(205);
    expect(dev.judgments.length + store.trainJudgments!.length).toBe(919);
    // the same ids go to dev on every load
    const again = await load({ dir: SCIFACT, devFromTrain: 0.2 });
    expect(again.evalSets!.find((s) => s.name === 'dev')!.judgments).toEqual(dev.judgments);
    expect(buildTestSets(store).get('dev')!.qids!.length).toBe(devQueries.size);
  });

  it('names file:line and what was expected for a malformed JSON line or qrels row, or skips and counts', async () => {
    const badJson = writeFolder({ corpus: [...GOOD.corpus.slice(0, 2), '{"_id": "x", "text": '] });
    await expect(load({ dir: badJson })).rejects.toThrow(new RegExp(`${join(badJson, 'corpus.jsonl').replace(/[.]/g, '\\.')}:3: expected one JSON object per line`));
    const noId = writeFolder({ queries: [...GOOD.queries, JSON.stringify({ text: 'no id' })] });
    await expect(load({ dir: noId })).rejects.toThrow(/queries\.jsonl:4: expected a "_id" field/);
    const badRow = writeFolder({ qrels: { ...GOOD.qrels, test: ['query-id\tcorpus-id\tscore', 'q2\tdoc-a'] } });
    await expect(load({ dir: badRow })).rejects.toThrow(/test\.tsv:2: expected 3 tab-separated columns/);
    const badScore = writeFolder({ qrels: { ...GOOD.qrels, test: ['query-id\tcorpus-id\tscore', 'q2\tdoc-a\thigh'] } });
    await expect(load({ dir: badScore })).rejects.toThrow(/test\.tsv:2: column 3 \(score\): expected an integer, got "high"/);
    const skipped = await load({ dir: badJson, onBadRow: 'skip', onUnknownId: 'skip' });
    expect(skipped.items).toHaveLength(2);
    expect(skipped.description!['skippedRows.corpus']).toBe(1);
  });

  it('refuses duplicate ids and reports qrels naming unknown ids (fail, or skip and count)', async () => {
    await expect(load({ dir: writeFolder({ corpus: [...GOOD.corpus, JSON.stringify({ _id: 'doc-a', text: 'again' })] }) })).rejects.toThrow(/corpus\.jsonl:4: duplicate document _id 'doc-a'/);
    await expect(load({ dir: writeFolder({ queries: [...GOOD.queries, JSON.stringify({ _id: 'q1', text: 'again' })] }) })).rejects.toThrow(/queries\.jsonl:4: duplicate query _id 'q1'/);
    await expect(load({ dir: writeFolder({ qrels: { ...GOOD.qrels, test: [...GOOD.qrels.test, 'q2\tdoc-a\t1'] } }) })).rejects.toThrow(/test\.tsv:4: query 'q2' judges corpus-id 'doc-a' twice/);
    const unknown = writeFolder({ qrels: { ...GOOD.qrels, test: [...GOOD.qrels.test, 'q9\tdoc-a\t1', 'q2\tnope\t1'] } });
    await expect(load({ dir: unknown })).rejects.toThrow(/test\.tsv:4: query-id 'q9' is not in .*queries\.jsonl \(set onUnknownId: skip/);
    const store = await load({ dir: unknown, onUnknownId: 'skip' });
    expect(store.description!['unknownIdRows.test']).toBe(2);
    expect(store.evalSets![0]!.judgments).toHaveLength(2);
    await expect(load({ dir: writeFolder(), evalSplits: ['dev'] })).rejects.toThrow(/qrels\/dev\.tsv not found/);
  });

  it.runIf(existsSync(SCIFACT))('reads SciFact: 5,183 abstracts, 300 test claims with 339 judgments, 809 train claim ids (807 distinct texts)', async () => {
    const before = process.memoryUsage().heapUsed;
    const store = await load({ dir: SCIFACT });
    expect(store.items).toHaveLength(5183);
    expect(store.description!['queries.test']).toBe(300);
    expect(store.evalSets![0]!.judgments).toHaveLength(339);
    // two train ids share one claim text twice over, so 807 distinct train queries
    expect(new Set(store.trainJudgments!.map((j) => j.query)).size).toBe(807);
    expect(store.trainJudgments).toHaveLength(919);
    expect(store.description!['mergedQueryRows.train']).toBe(3);
    expect(process.memoryUsage().heapUsed - before).toBeGreaterThan(0);
  });
});

describeDatasetConformance(plugin, { dir: writeFolder() });
