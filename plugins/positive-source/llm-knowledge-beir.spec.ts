import type { Container } from 'inversify';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { Rng } from '../../src/core/rng.ts';
import { PluginCreator } from '../../src/core/services.ts';
import type { Dataset } from '../../src/extension-points/dataset.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { towerArtifacts } from '../../src/runner/save-towers.ts';
import { FakeChatServer, type ReceivedRequest } from '../../test/support/fake-chat-server.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import beir from '../dataset/beir-dataset.ts';
import denseTeacher from '../discriminator/dense-teacher-discriminator.ts';
import lexical from '../discriminator/lexical-discriminator.ts';
import hashMlp from '../encoder/hash-mlp-encoder.ts';
import { OpenAiCompatibleLlm, OpenAiCompatibleParams } from '../llm/openai-compatible-llm.ts';
import { LlmKnowledgeParams, LlmKnowledgePositiveSource } from './llm-knowledge-positive-source.ts';

// The knowledge-level source on a text collection: a tiny BEIR folder, the openai-compatible LLM
// against a local chat-completions server, and the lexical and dense-teacher discriminators.
const FIXTURE = 'test/fixtures/beir-tiny';
const server = new FakeChatServer();
const logLines: string[] = [];

/** The query of a request: the last line of the bundled template. */
const queryOf = (body: ReceivedRequest['body']) => body.messages!.at(-1)!.content.trim().split('\n').at(-1)!;

/**
 * Per request seed (one per generation): 0 an on-topic pseudo-document, 1 an off-topic one, 2 a
 * reply that holds no JSON object.
 */
function documentReply(body: ReceivedRequest['body']): string {
  const query = queryOf(body);
  if (body.seed === 0) return JSON.stringify({ title: `Trial: ${query}`, text: `A randomised trial found that ${query} in adults.` });
  if (body.seed === 1) return '```json\n' + JSON.stringify({ title: 'Baking bread', text: 'Knead the dough and bake it.' }) + '\n```';
  return 'Sorry, I cannot write that.';
}

let store: LogStore;

beforeAll(async () => {
  await useBackend();
  await server.start();
  store = await instantiate<Dataset>(beir, { dir: FIXTURE }).load();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.reset();
  server.content = documentReply;
});

function source(params: Partial<LlmKnowledgeParams> = {}, discriminator?: Discriminator) {
  const llmParams = OpenAiCompatibleParams.parse({ baseUrl: server.url, model: 'test-model', apiKeyEnv: 'CROPS_TEST_UNSET_KEY', backoffMs: 5, maxBackoffMs: 20 });
  const llm = new OpenAiCompatibleLlm(llmParams, new Rng(1), createLogger('llm:openai-compatible', 'silent'), mkdtempSync(join(tmpdir(), 'crops-llm-beir-')));
  const logger = createLogger('positiveSource:llm-knowledge', 'info', (l) => logLines.push(l));
  return new LlmKnowledgePositiveSource(LlmKnowledgeParams.parse(params), new Rng(1), logger, llm, discriminator);
}

describe('llm-knowledge on a BEIR collection through the openai-compatible LLM', () => {
  it('prompts every train query with a positive judgment for pseudo-documents, its best-graded document as the example', async () => {
    const p = source();
    const mined = await p.mine(store);
    const prompts = new Map(server.requests.map((r) => [queryOf(r.body), r.body.messages!.at(-1)!.content]));
    // q3 is judged only non-relevant and the test queries are never asked about
    expect([...prompts.keys()].sort()).toEqual(['exercise reduces depression', 'statins cause muscle pain', 'vitamin D improves bone density']);
    expect(server.requests).toHaveLength(9);
    const vitamin = prompts.get('vitamin D improves bone density')!;
    expect(vitamin).toContain('{"title": "...", "text": "..."}');
    expect(vitamin).not.toContain('caption');
    expect(vitamin).toContain('{"title":"Vitamin D and bone density","text":"Vitamin D supplementation increased bone mineral density in older adults over two years."}');
    // of q4's two relevant documents the one graded 2 is the example
    expect(prompts.get('exercise reduces depression')).toContain('"title":"Exercise and depression"');
    expect(vitamin).toContain('one of 3 independent drafts');
    expect(vitamin).not.toMatch(/\{\{/);
    // title and passage joined like a corpus document; the off-topic draft is kept without a discriminator
    expect(mined.pseudo!.items.map((i) => i.text)).toContain('Trial: vitamin D improves bone density A randomised trial found that vitamin D improves bone density in adults.');
    expect(mined.pseudo!.items.filter((i) => i.text === 'Baking bread Knead the dough and bake it.')).toHaveLength(3);
    expect(p.lastStats).toEqual({ queries: 3, generations: 9, missing: 0, invalid: 3, duplicates: 0, filtered: 0, kept: 6 });
    expect(logLines.some((l) => l.includes('3 of 9 generations held no valid pseudo-document; entries were rejected because: no JSON object in the reply (3)'))).toBe(true);
    expect(new Set(mined.pseudo!.candidates.map((c) => c.origin))).toEqual(new Set(['llm']));
  });

  it('keeps only the pseudo-documents the lexical discriminator scores above minScore', async () => {
    const judge = instantiate<Discriminator>(lexical, {});
    await judge.init!(store);
    const p = source({}, judge);
    const mined = await p.mine(store);
    expect(mined.pseudo!.items.map((i) => i.text).sort()).toEqual([
      'Trial: exercise reduces depression A randomised trial found that exercise reduces depression in adults.',
      'Trial: statins cause muscle pain A randomised trial found that statins cause muscle pain in adults.',
      'Trial: vitamin D improves bone density A randomised trial found that vitamin D improves bone density in adults.',
    ]);
    expect(p.lastStats).toMatchObject({ filtered: 3, kept: 3 });
  });

  it('asks only about the train queries that remain after devFromTrain holds some out', async () => {
    const withDev = await instantiate<Dataset>(beir, { dir: FIXTURE, devFromTrain: 0.5 }).load();
    const dev = withDev.evalSets!.find((s) => s.name === 'dev')!;
    await source().mine(withDev);
    const asked = new Set(server.requests.map((r) => queryOf(r.body)));
    for (const q of dev.queryIds!.keys()) expect(asked.has(q)).toBe(false);
    for (const q of asked) expect(withDev.trainJudgments!.some((j) => j.query === q)).toBe(true);
  });

  it('writes pseudo-videos instead when told to, with the same judged examples', async () => {
    server.content = (body) => JSON.stringify({ caption: `${queryOf(body)} explained`, tags: ['health'] });
    const mined = await source({ generate: 'video', n: 1 }).mine(store);
    expect(server.requests[0]!.body.messages!.at(-1)!.content).toContain('"caption"');
    expect(mined.pseudo!.items.map((i) => i.text).sort()[0]).toBe('exercise reduces depression explained health');
  });
});

describe('dense-teacher judging pseudo-documents of a BEIR collection', () => {
  const encoderRef = { use: 'hash-mlp', params: { buckets: 4096, embDim: 16, hidden: [32], dim: 16, sharedTowers: false } };
  const create: PluginCreator = <T,>(kind: string, ref: { use: string; params: unknown }): T => {
    if (kind !== 'encoder' || ref.use !== 'hash-mlp') throw new Error(`unknown ${kind} '${ref.use}'`);
    return instantiate(hashMlp, ref.params, { seed: 77 }) as T;
  };
  const bindCreator = (c: Container) => c.bind(PluginCreator).toConstantValue(create);

  it('embeds the train queries with the query tower and generated texts with the item tower, and filters at minScore', async () => {
    const towers = mkdtempSync(join(tmpdir(), 'crops-teacher-beir-'));
    const teacher = instantiate<Encoder>(hashMlp, encoderRef.params, { seed: 5 });
    for (const [path, bytes] of await towerArtifacts(teacher, encoderRef)) writeFileSync(join(towers, path.replace(/^towers\//, '')), bytes);
    const judge = instantiate<Discriminator>(denseTeacher, { path: towers, low: -1 }, { bind: bindCreator });
    await judge.init!(store);
    const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    const q = 'vitamin D improves bone density';
    const qv = await teacher.encode([q], 'query');
    // another train query is compared through the query tower (separate towers, so the sides differ)
    const other = 'statins cause muscle pain';
    expect(judge.score(q, other)).toBeCloseTo((cosine(qv, await teacher.encode([other], 'query')) + 1) / 2, 6);
    expect(judge.score(q, other)).not.toBeCloseTo((cosine(qv, await teacher.encode([other], 'item')) + 1) / 2, 3);

    // every draft's teacher score (item tower), computed here; the threshold goes between the middle two
    const all = (await source().mine(store)).pseudo!;
    const scored: Array<{ pair: string; score: number }> = [];
    for (const c of all.candidates) {
      const text = all.items.find((i) => i.key === c.pseudoKey)!.text;
      scored.push({ pair: `${c.query} -> ${text}`, score: (cosine(await teacher.encode([c.query], 'query'), await teacher.encode([text], 'item')) + 1) / 2 });
    }
    const sorted = scored.map((x) => x.score).sort((a, b) => a - b);
    expect(sorted).toHaveLength(6);
    const minScore = (sorted[2]! + sorted[3]!) / 2;
    // the source keeps exactly the drafts scored above it
    const p = source({ minScore }, judge);
    const mined = await p.mine(store);
    const kept = mined.pseudo!.candidates.map((c) => `${c.query} -> ${mined.pseudo!.items.find((i) => i.key === c.pseudoKey)!.text}`);
    expect(kept.sort()).toEqual(scored.filter((x) => x.score > minScore).map((x) => x.pair).sort());
    expect(p.lastStats).toMatchObject({ kept: 3, filtered: 3 });
    judge.dispose?.();
    teacher.dispose();
  });
});

describe('openai-compatible replies that are not documents', () => {
  it('counts a reply without a text field as invalid, naming why', async () => {
    server.content = () => JSON.stringify({ title: 'only a title' });
    const p = source({ n: 1 });
    await p.mine(store);
    expect(p.lastStats).toMatchObject({ invalid: 3, kept: 0 });
    expect(logLines.some((l) => l.includes('entries were rejected because: text is missing or empty (3)'))).toBe(true);
  });
});
