import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginLogger, PluginParams, TrialRng } from '../../src/core/services.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { Discriminator } from '../../src/extension-points/discriminator.ts';
import { Llm } from '../../src/extension-points/llm.ts';
import type { MinedCandidates, PositiveSource, PseudoItem } from '../../src/extension-points/positive-source.ts';
import { exemplarDocumentJson, exemplarJson, pickExemplars, pickJudgedExemplars } from './llm-knowledge/exemplar.ts';
import { parseDocumentGeneration, pseudoDocumentText } from './llm-knowledge/pseudo-document.ts';
import { DOCUMENT_PROMPT_FILE, loadPromptTemplate, renderPrompt } from './llm-knowledge/prompt.ts';
import { parseGeneration, PSEUDO_VIDEO_FIELDS, pseudoVideoText } from './llm-knowledge/pseudo-video.ts';

/** Params of `llm-knowledge`. */
export const LlmKnowledgeParams = z
  .object({
    queryFraction: z.number().gt(0).max(1).default(1).describe('share of the eligible train queries to prompt for, drawn with the trial seed'),
    maxQueries: z.number().int().positive().optional().describe('at most this many queries after queryFraction (bounds the cost of a paid endpoint)'),
    n: z.number().int().positive().default(3).describe('generations per query (the paper leaves it open; 3)'),
    temperature: z.number().min(0).max(2).default(0.7).describe('sampling temperature passed to the LLM'),
    generate: z
      .enum(['auto', 'video', 'document'])
      .default('auto')
      .describe("what the LLM writes: 'video' the paper's pseudo-video (caption, tags, cover text, keywords, related queries), 'document' a title and passage like a document of a text collection; 'auto' is 'document' on a dataset of judged train queries without logs (beir), else 'video'"),
    exemplar: z
      .enum(['most-clicked', 'most-clicked-or-shown', 'none'])
      .default('most-clicked')
      .describe("the prompt's example: the query's most-clicked train item (queries without a click are not prompted), with a fallback to the most-shown item, or none; on a judged collection without logs (beir) both click policies take the query's highest-graded train qrel"),
    promptFile: z.string().min(1).optional().describe('prompt template replacing the bundled one (prompt.md for videos, prompt-document.md for documents), with {{query}}, {{exemplar}}, {{n}}; relative to the working directory'),
    fields: z
      .array(z.enum(PSEUDO_VIDEO_FIELDS))
      .min(1)
      .default([...PSEUDO_VIDEO_FIELDS])
      .describe('pseudo-video fields joined, in this order, into the text the item tower sees (pseudo-documents are always title then text)'),
    minScore: z.number().min(0).max(1).default(0.6).describe('when the trial has a discriminator, keep pseudo-items it scores above this for their query (the P1/P2 threshold, 0.6)'),
  })
  .strict();
export type LlmKnowledgeParams = z.output<typeof LlmKnowledgeParams>;

/** What one `mine` did, for logs and tests. */
export interface LlmKnowledgeStats {
  queries: number;
  generations: number;
  /** generations the LLM did not return (skipped replies, unknown queries) */
  missing: number;
  /** generations that held no valid pseudo-item */
  invalid: number;
  duplicates: number;
  /** valid pseudo-items the discriminator scored at or below minScore */
  filtered: number;
  kept: number;
}

/**
 * P3, LLM knowledge: for a seeded sample of train queries, a one-shot prompt (role, format, rules,
 * the query's most-clicked item as the example, the query) asks the trial's LLM for `n`
 * pseudo-items. On search logs these are the paper's pseudo-videos; on a text collection of judged
 * queries without logs (BEIR) they are pseudo-documents (a title and a passage) and the example is
 * the query's highest-graded train document, since a judgment is the collection's click. Replies
 * are parsed and validated; each valid, distinct one becomes a pseudo-item with origin `llm` for its
 * query, trained through the item tower like a corpus item. The paper filters P1 and P2 with a
 * discriminator but not P3, so the discriminator is optional here: when the trial configures one,
 * pseudo-items it scores at or below `minScore` are dropped. Requires an `llm` plugin.
 */
@injectable()
export class LlmKnowledgePositiveSource implements PositiveSource {
  private readonly params: LlmKnowledgeParams;
  /** the user's template; otherwise the bundled one of the format, chosen when the data is known */
  private readonly customTemplate?: string;
  /** counts of the last `mine` */
  lastStats?: LlmKnowledgeStats;

  constructor(
    @inject(PluginParams) params: LlmKnowledgeParams,
    @inject(TrialRng) private readonly rng: Rng,
    @inject(PluginLogger) private readonly logger: Logger,
    @inject(Llm) private readonly llm: Llm,
    @inject(Discriminator) @optional() private readonly discriminator?: Discriminator,
  ) {
    this.params = params;
    // read now, so a broken template fails before any data is loaded
    this.customTemplate = params.promptFile === undefined ? undefined : loadPromptTemplate(params.promptFile);
  }

  async mine(store: LogStore): Promise<MinedCandidates> {
    const p = this.params;
    // a collection of judged queries without logs (BEIR): judgments stand in for clicks
    const judgedOnly = store.train.sessions.length === 0 && (store.trainJudgments?.length ?? 0) > 0;
    const documents = p.generate === 'document' || (p.generate === 'auto' && judgedOnly);
    const template = this.customTemplate ?? loadPromptTemplate(documents ? DOCUMENT_PROMPT_FILE : undefined);
    const exemplars = judgedOnly ? pickJudgedExemplars(store, p.exemplar) : pickExemplars(store, p.exemplar);
    const queries = this.sampleQueries([...exemplars.keys()]);
    if (queries.length === 0) this.logger.warn(judgedOnly ? 'no train query has a positive judgment: nothing to prompt for' : `no train query has an exemplar under exemplar: ${p.exemplar} (a dataset without search logs has none): nothing to prompt for`);
    const stats: LlmKnowledgeStats = { queries: queries.length, generations: 0, missing: 0, invalid: 0, duplicates: 0, filtered: 0, kept: 0 };
    const reasons = new Map<string, number>();
    // the LLM bounds its own concurrency; asking for every query at once lets it fill its slots
    const replies = await Promise.all(
      queries.map((query) => {
        const id = exemplars.get(query);
        const item = id == null ? undefined : store.items[id];
        const prompt = renderPrompt(template, { query, exemplar: documents ? exemplarDocumentJson(item) : exemplarJson(item), n: String(p.n) });
        return this.llm.generate({ prompt, query, n: p.n, temperature: p.temperature });
      }),
    );
    const items: PseudoItem[] = [];
    const candidates: Array<{ query: string; pseudoKey: string; origin: string }> = [];
    queries.forEach((query, qi) => {
      const texts = replies[qi]!.slice(0, p.n);
      stats.generations += texts.length;
      stats.missing += p.n - texts.length;
      const seen = new Set<string>();
      for (const reply of texts) {
        const parsed = documents ? parseDocumentGeneration(reply) : parseGeneration(reply);
        const generated = 'documents' in parsed ? parsed.documents.map(pseudoDocumentText) : parsed.videos.map((v) => pseudoVideoText(v, p.fields));
        for (const r of parsed.rejected) reasons.set(r, (reasons.get(r) ?? 0) + 1);
        if (generated.length === 0) stats.invalid++;
        for (const text of generated) {
          if (text === '' || seen.has(text)) {
            stats.duplicates++;
            continue;
          }
          seen.add(text);
          if (this.discriminator && !(this.discriminator.score(query, text) > p.minScore)) {
            stats.filtered++;
            continue;
          }
          const key = `llm:${qi}:${seen.size - 1}`;
          items.push({ key, text });
          candidates.push({ query, pseudoKey: key, origin: 'llm' });
          stats.kept++;
        }
      }
    });
    this.report(stats, reasons, documents ? 'pseudo-document' : 'pseudo-video');
    this.lastStats = stats;
    return { candidates: [], pseudo: { items, candidates } };
  }

  /** Eligible queries in code-unit order, then a seeded subset when a fraction or a cap applies. */
  private sampleQueries(eligible: string[]): string[] {
    const sorted = eligible.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const count = Math.min(this.params.maxQueries ?? Infinity, Math.round(this.params.queryFraction * sorted.length));
    if (count >= sorted.length) return sorted;
    const picked = new Set(this.rng.fork('queries').shuffle(sorted.slice()).slice(0, count));
    return sorted.filter((q) => picked.has(q));
  }

  private report(s: LlmKnowledgeStats, reasons: Map<string, number>, noun: string): void {
    const llmStats = this.llm.stats?.();
    const provider = llmStats ? `; llm ${Object.entries(llmStats).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
    this.logger.info(
      `${s.queries} queries, ${s.generations} generations (${s.missing} missing, ${s.invalid} invalid), ${s.duplicates} duplicates, ` +
        `${s.filtered} filtered by the discriminator, ${s.kept} pseudo-items kept${provider}`,
    );
    if (s.invalid > 0) {
      const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([r, n]) => `${r} (${n})`).join('; ');
      this.logger.warn(`${s.invalid} of ${s.generations} generations held no valid ${noun}; entries were rejected because: ${top}`);
    }
  }
}

export default definePlugin({
  kind: 'positiveSource',
  name: 'llm-knowledge',
  consults: ['llm', 'discriminator'],
  summary: 'P3: pseudo-videos (search logs) or pseudo-documents (beir) an LLM writes for sampled train queries from a one-shot prompt, trained as pseudo-items',
  schema: LlmKnowledgeParams,
  implementation: LlmKnowledgePositiveSource,
  requires: [{ trait: 'llm', because: 'it asks an LLM to write pseudo-items for its queries' }],
});
