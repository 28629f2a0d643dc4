import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowFileStore } from '../src/tracking/file-store.ts';
import { FakeChatServer, type ReceivedRequest } from './support/fake-chat-server.ts';

const BIN = resolve(import.meta.dirname, '../bin/crops-dev.js');

/** Runs the CLI without blocking this process, so the local server keeps answering. */
function runCli(args: string[], cwd: string): Promise<{ status: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => done({ status, out }));
  });
}

/** Generation 0 of each query is on topic, generation 1 is about bread (the lexical judge drops it). */
function documentReply(body: ReceivedRequest['body']): string {
  const query = body.messages!.at(-1)!.content.trim().split('\n').at(-1)!;
  return JSON.stringify(body.seed === 0 ? { title: `Trial: ${query}`, text: `A randomised trial found that ${query} in adults.` } : { title: 'Baking bread', text: 'Knead the dough and bake it.' });
}

describe('P3 pseudo-documents on a BEIR folder, end to end through the real CLI', () => {
  const server = new FakeChatServer();
  const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-llm-beir-'));
  beforeAll(async () => {
    const url = await server.start();
    server.content = documentReply;
    writeFileSync(
      join(cwd, 'p3-beir.yaml'),
      [
        'name: p3-beir',
        `dataset: { use: beir, params: { dir: '${resolve('test/fixtures/beir-tiny')}', trainSplit: train, evalSplits: [test] } }`,
        'positiveSource:',
        '  - qrels',
        '  - { use: llm-knowledge, params: { n: 2 } }',
        `llm: { use: openai-compatible, params: { baseUrl: '${url}', model: fake-model, backoffMs: 5 } }`,
        'discriminator: lexical',
        'labelScheme: hla',
        'loss: info-nce',
        'encoder: { use: hash-mlp, params: { buckets: 4096, embDim: 16, hidden: [32], dim: 16 } }',
        'train: { steps: 4, batchQueries: 2 }',
        'eval: { metrics: [ndcg@10/test] }',
      ].join('\n'),
    );
  });
  afterAll(() => server.stop());

  it('asks about the train queries, keeps the drafts the lexical discriminator passes and trains on them', { timeout: 240_000 }, async () => {
    const res = await runCli(['run', 'p3-beir.yaml', '--verbose'], cwd);
    expect(res.status, res.out).toBe(0);
    // three train queries have a positive judgment, two generations each
    expect(server.requests).toHaveLength(6);
    expect(server.requests.every((r) => r.body.messages!.at(-1)!.content.includes('{"title": "...", "text": "..."}'))).toBe(true);
    expect(res.out).toMatch(/3 queries, 6 generations \(0 missing, 0 invalid\), 0 duplicates, 3 filtered by the discriminator, 3 pseudo-items kept/);
    const [run] = (await new MlflowFileStore(join(cwd, 'mlruns')).listRuns('p3-beir')).filter((r) => r.tags['crops.role'] !== 'sweep');
    expect(run!.status).toBe('FINISHED');
    expect(Number(run!.params['data.origin.llm'])).toBe(3);
    const ndcg = run!.metrics['ndcg_at_10/test']!.value;
    expect(ndcg).toBeGreaterThanOrEqual(0);
    expect(ndcg).toBeLessThanOrEqual(1);
  });
});
