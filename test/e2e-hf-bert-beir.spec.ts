import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../kits/encoder/bert/safetensors.ts';
import { runCli } from './support/cli.ts';
import { writeTinyBert } from './support/tiny-bert.ts';

const WORDS = ['fox', 'den', 'red', 'blue', 'whale', 'song', 'owl', 'night', 'hunt', 'cafe'];

/** A small BEIR folder over the tiny BERT's vocabulary: 20 documents, train and test qrels. */
function beirFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crops-beir-e2e-'));
  mkdirSync(join(dir, 'qrels'));
  const docs = Array.from({ length: 20 }, (_, i) => ({ _id: `D${i}`, title: WORDS[i % 10]!, text: `${WORDS[(i * 3) % 10]} ${WORDS[(i * 7 + 1) % 10]} ${WORDS[(i + 4) % 10]}` }));
  writeFileSync(join(dir, 'corpus.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  const queries = docs.map((d, i) => ({ _id: `Q${i}`, text: `${d.title} ${d.text.split(' ')[0]}` }));
  writeFileSync(join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
  const rows = (from: number, to: number) => ['query-id\tcorpus-id\tscore', ...Array.from({ length: to - from }, (_, k) => `Q${from + k}\tD${from + k}\t1`)].join('\n') + '\n';
  writeFileSync(join(dir, 'qrels', 'train.tsv'), rows(0, 14));
  writeFileSync(join(dir, 'qrels', 'test.tsv'), rows(14, 20));
  return dir;
}

describe('a pretrained BERT tower fine-tuned on a BEIR folder, through the real CLI', () => {
  it('trains with qrels positives and BM25 negatives, evaluates on the test split and attaches the Hugging Face directory to the run', { timeout: 120_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-hf-e2e-'));
    const model = await writeTinyBert();
    writeFileSync(join(cwd, 'exp.yaml'), [
      'name: hf-bert-beir',
      'seeds: [1]',
      `dataset: { use: beir, params: { dir: ${JSON.stringify(beirFolder())} } }`,
      'positiveSource: [{ use: qrels, params: { bm25Negatives: 1 } }]',
      'labelScheme: hla',
      'sampler: { use: in-batch, params: { candidatesPerQuery: 2 } }',
      `encoder: { use: hf-bert, params: { model: ${JSON.stringify(model)}, maxQueryLength: 16, maxItemLength: 16, freezeEmbeddings: true } }`,
      'loss: h-info-nce',
      'retriever: dense-exact',
      'train: { steps: 4, batchQueries: 4, lr: 0.001, saveTowers: true }',
      'eval: { metrics: [ndcg@10/test, recall@10/test] }',
      '',
    ].join('\n'));
    const res = runCli(['run', 'exp.yaml'], { cwd, timeoutMs: 110_000 });
    expect(res.stderr).not.toMatch(/FAILED/);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/ndcg@10\/test\s+recall@10\/test/);
    const towers = readdirSync(join(cwd, 'mlruns'), { recursive: true, encoding: 'utf8' }).filter((p) => p.includes(join('artifacts', 'towers')));
    const root = join(cwd, 'mlruns', towers.find((p) => p.endsWith(join('towers', 'model.safetensors')))!, '..');
    for (const f of ['config.json', 'tokenizer.json', 'modules.json', join('1_Pooling', 'config.json'), 'encoder.json']) expect(existsSync(join(root, f))).toBe(true);
    expect(readSafetensors(join(root, 'model.safetensors')).get('encoder.layer.0.attention.self.query.weight')!.shape).toEqual([16, 16]);
    // the run's TREC files name the BEIR ids
    const run = readdirSync(join(cwd, 'mlruns'), { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith(join('trec', 'test.run')))!;
    expect(readFileSync(join(cwd, 'mlruns', run), 'utf8')).toMatch(/^Q1[4-9] Q0 D\d+ 1 /);

    // train.steps 0 evaluates the checkpoint as it is (zero-shot): no training, same table
    const zero = runCli(['run', 'exp.yaml', '--set', 'train.steps=0', '--set', 'train.saveTowers=false'], { cwd, timeoutMs: 110_000 });
    expect(zero.stderr).not.toMatch(/FAILED/);
    expect(zero.status).toBe(0);
    expect(res.stdout + res.stderr).toMatch(/training \d[\d,]* parameters/);
    expect(zero.stdout + zero.stderr).not.toMatch(/training \d/);
    expect(zero.stdout).toMatch(/ndcg@10\/test\s+recall@10\/test/);
  });
});
