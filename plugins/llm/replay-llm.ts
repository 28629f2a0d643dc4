import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { TrialFailure } from '../../src/core/errors.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { Llm, LlmRequest } from '../../src/extension-points/llm.ts';

/** Params of `replay`. */
export const ReplayParams = z
  .object({
    file: z.string().min(1).default('llm-generations.jsonl').describe('JSONL file of generations, relative to the working directory'),
    onMissing: z
      .enum(['skip', 'fail'])
      .default('skip')
      .describe('a query with fewer than n recorded generations: return what there is (skip) or fail the trial (fail)'),
  })
  .strict();
export type ReplayParams = z.output<typeof ReplayParams>;

/** One line's generations: `{query, text}`, `{query, texts: [...]}` or an `openai-compatible` cache entry. */
const Line = z.union([
  z.object({ query: z.string(), text: z.string() }).transform((l) => ({ query: l.query, texts: [l.text] })),
  z.object({ query: z.string(), texts: z.array(z.string()) }),
  z.object({ value: z.object({ query: z.string(), text: z.string() }) }).transform((l) => ({ query: l.value.query, texts: [l.value.text] })),
]);

/** Reads a generations file into query -> texts in file order; errors name the file and line. */
export function parseGenerations(jsonl: string, file: string): Map<string, string[]> {
  const byQuery = new Map<string, string[]>();
  jsonl.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new TrialFailure(`${file}:${i + 1}: not a JSON line`);
    }
    const line = Line.safeParse(parsed);
    if (!line.success) throw new TrialFailure(`${file}:${i + 1}: expected {"query": ..., "text": ...} or {"query": ..., "texts": [...]}`);
    const list = byQuery.get(line.data.query) ?? [];
    list.push(...line.data.texts);
    byQuery.set(line.data.query, list);
  });
  return byQuery;
}

/**
 * Replays recorded generations instead of calling a model: the first n texts recorded for the query,
 * whatever the prompt and temperature. Use it to share the exact generations behind a result, or to
 * run P3 offline from a file written by another tool. Concatenated `openai-compatible` cache files
 * are valid input. Deterministic by construction.
 */
@injectable()
export class ReplayLlm implements Llm {
  private readonly params: ReplayParams;
  private loaded?: Promise<Map<string, string[]>>;
  private readonly counts = { requests: 0, generations: 0, short: 0 };

  constructor(@inject(PluginParams) params: ReplayParams) {
    this.params = params;
  }

  async generate({ query, n }: LlmRequest): Promise<string[]> {
    const generations = await (this.loaded ??= this.load());
    const texts = (generations.get(query) ?? []).slice(0, n);
    this.counts.requests++;
    this.counts.generations += texts.length;
    if (texts.length < n) {
      this.counts.short++;
      if (this.params.onMissing === 'fail') throw new TrialFailure(`${this.params.file} holds ${texts.length} generations for query '${query}'; ${n} were asked for`);
    }
    return texts;
  }

  stats(): Record<string, number> {
    return { ...this.counts };
  }

  private async load(): Promise<Map<string, string[]>> {
    const path = resolve(this.params.file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new TrialFailure(`llm 'replay' cannot read ${path}: ${(e as Error).message}`);
    }
    return parseGenerations(text, this.params.file);
  }
}

export default definePlugin({
  kind: 'llm',
  name: 'replay',
  summary: 'replays recorded generations from a JSONL file (query, text) instead of calling a model',
  schema: ReplayParams,
  implementation: ReplayLlm,
  provides: ['llm'],
});
