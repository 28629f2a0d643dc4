import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { Rng } from '../../src/core/rng.ts';
import { buildTrainingSet } from '../../src/runner/labelling.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import { Llm, type LlmRequest } from '../../src/extension-points/llm.ts';
import { describePositiveSourceConformance } from '../../test/conformance/data-conformance.ts';
import { toyLogs } from '../../test/support/toy-logs.ts';
import { HlaLabelScheme, HlaParams } from '../label-scheme/hla-label-scheme.ts';
import plugin, { LlmKnowledgeParams, LlmKnowledgePositiveSource } from './llm-knowledge-positive-source.ts';

const video = (caption: string, extra: object = {}) => JSON.stringify({ caption, tags: ['tag'], coverText: 'cover', keywords: ['kw'], relatedQueries: ['rq'], ...extra });

/** An LLM that answers from a per-query script (or a default) and records every request. */
class ScriptedLlm implements Llm {
  readonly requests: LlmRequest[] = [];
  constructor(private readonly script: Record<string, string[]> = {}) {}
  async generate(request: LlmRequest): Promise<string[]> {
    this.requests.push(request);
    const texts = this.script[request.query] ?? Array.from({ length: request.n }, (_, i) => video(`${request.query} video ${i}`));
    return texts.slice(0, request.n);
  }
  stats() {
    return { requests: this.requests.length };
  }
}

/** Scores a text by whether it mentions a word of the query. */
class SharedWordDiscriminator implements Discriminator {
  score(query: string, text: string): number {
    const words = new Set(text.split(' '));
    return query.split(' ').some((w) => words.has(w)) ? 0.9 : 0.1;
  }
}

const logLines: string[] = [];
function make(params: Partial<LlmKnowledgeParams> = {}, llm: Llm = new ScriptedLlm(), discriminator?: Discriminator, seed = 1) {
  const logger = createLogger('positiveSource:llm-knowledge', 'info', (l) => logLines.push(l));
  return new LlmKnowledgePositiveSource(LlmKnowledgeParams.parse(params), new Rng(seed), logger, llm, discriminator);
}

/** Hand-built logs with `count` queries, each with one clicked item. */
function manyQueries(count: number): LogStore {
  const logs = toyLogs();
  logs.train.sessions = Array.from({ length: count }, (_, i) => ({ sessionId: 100 + i, userId: 1, tsMs: i, query: `query ${String(i).padStart(2, '0')}`, source: 'typed' as const }));
  logs.train.impressions = logs.train.sessions.map((s, i) => ({ sessionId: s.sessionId, itemId: i % 8, stage: 'shown' as const, position: 0, clicked: true, liked: false, playMs: 1 }));
  return logs;
}

describe('llm-knowledge positive source', () => {
  it("prompts for each clicked query one-shot with its most-clicked item, n and temperature", async () => {
    const llm = new ScriptedLlm();
    await make({}, llm).mine(toyLogs());
    // 'apple' has no click in the toy logs, so it has no exemplar and is not prompted
    expect(llm.requests.map((r) => r.query)).toEqual(['apple pie', 'phone repair']);
    const pie = llm.requests[0]!;
    expect(pie).toMatchObject({ n: 3, temperature: 0.7 });
    for (const block of ['# Role', '# Format', '# Rules', '# Example', '# Query']) expect(pie.prompt).toContain(block);
    expect(pie.prompt).toContain('{"caption":"red apple pie"');
    expect(pie.prompt.trimEnd().endsWith('# Query\napple pie')).toBe(true);
    expect(pie.prompt).toContain('one of 3 independent drafts');
    expect(pie.prompt).not.toMatch(/\{\{/);
  });

  it('falls back to the most-shown item, or prompts without an example, when asked', async () => {
    const shown = new ScriptedLlm();
    await make({ exemplar: 'most-clicked-or-shown' }, shown).mine(toyLogs());
    expect(shown.requests.map((r) => r.query)).toEqual(['apple', 'apple pie', 'phone repair']);
    expect(shown.requests[0]!.prompt).toContain('{"caption":"apple phone repair"');
    const none = new ScriptedLlm();
    await make({ exemplar: 'none' }, none).mine(toyLogs());
    expect(none.requests).toHaveLength(3);
    expect(none.requests[0]!.prompt).toContain('(no example available)');
  });

  it('turns valid, distinct pseudo-videos into llm pseudo-items and counts the rest', async () => {
    const llm = new ScriptedLlm({
      'apple pie': [video('grandma apple pie'), '```json\n' + video('grandma apple pie') + '\n```', 'Sorry, I cannot help with that.'],
      'phone repair': [JSON.stringify([{ caption: 'screen swap at home', tags: 'diy, phone' }, { tags: ['no caption'] }])],
    });
    const source = make({}, llm);
    const mined = await source.mine(toyLogs());
    expect(mined.candidates).toEqual([]);
    expect(mined.pseudo!.items.map((i) => i.text)).toEqual(['grandma apple pie tag cover kw rq', 'screen swap at home diy phone']);
    expect(mined.pseudo!.candidates).toEqual([
      { query: 'apple pie', pseudoKey: mined.pseudo!.items[0]!.key, origin: 'llm' },
      { query: 'phone repair', pseudoKey: mined.pseudo!.items[1]!.key, origin: 'llm' },
    ]);
    expect(source.lastStats).toEqual({ queries: 2, generations: 4, missing: 2, invalid: 1, duplicates: 1, filtered: 0, kept: 2 });
    expect(logLines.some((l) => l.includes('1 of 4 generations held no valid pseudo-video; entries were rejected because: no JSON object in the reply (1); caption is missing or empty (1)'))).toBe(true);
    expect(logLines.some((l) => l.includes('2 pseudo-items kept; llm requests=2'))).toBe(true);
  });

  it('joins only the configured fields into the pseudo-item text', async () => {
    const mined = await make({ fields: ['keywords', 'caption'] }).mine(toyLogs());
    expect(mined.pseudo!.items[0]!.text).toBe('kw apple pie video 0');
  });

  it('keeps only pseudo-videos the discriminator scores above minScore, when there is one', async () => {
    const llm = new ScriptedLlm({ 'apple pie': [video('a pie from scratch'), video('a cider press')], 'phone repair': [video('fix a phone'), video('bake bread')] });
    const source = make({ n: 2 }, llm, new SharedWordDiscriminator());
    const mined = await source.mine(toyLogs());
    expect(mined.pseudo!.items.map((i) => i.text.split(' tag')[0])).toEqual(['a pie from scratch', 'fix a phone']);
    expect(source.lastStats).toMatchObject({ filtered: 2, kept: 2 });
    const strict = make({ n: 2, minScore: 0.9 }, llm, new SharedWordDiscriminator());
    expect((await strict.mine(toyLogs())).pseudo!.items).toEqual([]);
  });

  it('samples a seeded share of the queries, capped by maxQueries', async () => {
    const queriesOf = async (params: Partial<LlmKnowledgeParams>, seed: number) => {
      const llm = new ScriptedLlm();
      await make(params, llm, undefined, seed).mine(manyQueries(40));
      return llm.requests.map((r) => r.query);
    };
    const a = await queriesOf({ queryFraction: 0.25 }, 1);
    expect(a).toHaveLength(10);
    expect([...a].sort()).toEqual(a);
    expect(await queriesOf({ queryFraction: 0.25 }, 1)).toEqual(a);
    expect(await queriesOf({ queryFraction: 0.25 }, 2)).not.toEqual(a);
    expect(await queriesOf({ maxQueries: 4 }, 1)).toHaveLength(4);
    expect(await queriesOf({}, 1)).toHaveLength(40);
  });

  it('uses a replacement prompt template and rejects unknown placeholders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crops-prompt-'));
    writeFileSync(join(dir, 'p.md'), 'Q={{query}} N={{ n }} EX={{exemplar}} {{n}}');
    const llm = new ScriptedLlm();
    await make({ promptFile: join(dir, 'p.md'), n: 2 }, llm).mine(toyLogs());
    expect(llm.requests[1]!.prompt).toBe('Q=phone repair N=2 EX={"caption":"apple phone repair","tags":[],"coverText":"","keywords":[]} 2');
    writeFileSync(join(dir, 'bad.md'), '{{query}} {{exampel}}');
    expect(() => make({ promptFile: join(dir, 'bad.md') })).toThrow(/unknown placeholders \{\{exampel\}\}/);
    writeFileSync(join(dir, 'noquery.md'), 'write a video');
    expect(() => make({ promptFile: join(dir, 'noquery.md') })).toThrow(/never uses \{\{query\}\}/);
  });

  it('gives its pseudo-items ids after the corpus at the llm grade of HLA', async () => {
    const mined = await make({ n: 1 }).mine(toyLogs());
    const data = buildTrainingSet(toyLogs().items, [mined], new HlaLabelScheme(HlaParams.parse({})));
    expect(data.items.texts.slice(8)).toEqual(['apple pie video 0 tag cover kw rq', 'phone repair video 0 tag cover kw rq']);
    expect(data.lists.find((l) => l.query === 'apple pie')).toEqual({ query: 'apple pie', itemIds: [8], grades: [4] });
    expect(data.originCounts).toEqual({ llm: 2 });
  });

  it('requires an llm and leaves the discriminator optional', () => {
    expect(plugin.requires?.map((r) => r.trait)).toEqual(['llm']);
  });
});

describePositiveSourceConformance(plugin, { bind: (c) => c.bind(Llm).toConstantValue(new ScriptedLlm()) });
