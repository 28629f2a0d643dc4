import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { TrialFailure } from '../../src/core/errors.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginParams, TrialRng } from '../../src/core/services.ts';
import { Dataset, type WorldKnowledge } from '../../src/extension-points/dataset.ts';
import type { Llm, LlmRequest } from '../../src/extension-points/llm.ts';

/** Params of `world-knowledge`. */
export const WorldKnowledgeParams = z
  .object({
    offTopicRate: z.number().min(0).max(1).default(0.1).describe('share of generated words drawn from outside the chosen meaning (hallucinations)'),
    // default 0: no outside anchor for how often an LLM misreads a short query was found, and a
    // default chosen from how the compared methods score would tune the world on its results
    wrongMeaningRate: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe(
        'share of pseudo-videos written from a meaning the query does not have (a sibling meaning of its topic, else another topic): the LLM misreading the query; 0 = a perfectly informed LLM, the upper bound',
      ),
    tags: z.number().int().min(0).default(4).describe('tags per pseudo-video'),
    keywords: z.number().int().min(0).default(3).describe('keywords per pseudo-video'),
    relatedQueries: z.number().int().min(0).default(2).describe('related queries per pseudo-video, two words of the meaning each'),
  })
  .strict();
export type WorldKnowledgeParams = z.output<typeof WorldKnowledgeParams>;

/**
 * A stand-in for an LLM on simulated worlds: it knows the world's topic model. Each generation picks
 * one of the query's meanings at random (so long-tail meanings the logs never show are covered as
 * often as the dominant one) and writes a pseudo-video in the `llm-knowledge` JSON format from that
 * meaning's true word distribution, `offTopicRate` of its words off-topic. A `wrongMeaningRate`
 * share of generations picks a meaning the query does not have instead (the LLM misreading it,
 * e.g. the other sense of an ambiguous word); the world grades those texts low. Queries the world does
 * not recognise get no generations. The prompt is ignored; equal (query, temperature) give equal
 * texts, and generation i does not depend on n. Requires a dataset providing `world-ground-truth`.
 */
@injectable()
export class WorldKnowledgeLlm implements Llm {
  private readonly params: WorldKnowledgeParams;
  private knowledge?: WorldKnowledge;
  private readonly counts = { requests: 0, generations: 0, unknownQueries: 0, wrongMeaning: 0 };

  constructor(
    @inject(PluginParams) params: WorldKnowledgeParams,
    // never drawn from directly: every generation forks its own stream, so call order does not matter
    @inject(TrialRng) private readonly rng: Rng,
    @inject(Dataset) private readonly dataset: Dataset,
  ) {
    this.params = params;
  }

  async generate({ query, n, temperature }: LlmRequest): Promise<string[]> {
    const world = this.world();
    this.counts.requests++;
    const meanings = world.meanings(query);
    if (meanings.length === 0) {
      this.counts.unknownQueries++;
      return [];
    }
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const rng = this.rng.fork(`${query}\u0000${temperature}\u0000${i}`);
      // no draw at rate 0, so a run without misreadings keeps the texts it always had
      const misread = this.params.wrongMeaningRate > 0 && rng.bernoulli(this.params.wrongMeaningRate);
      const wrong = misread ? world.wrongMeanings(query) : [];
      if (wrong.length > 0) this.counts.wrongMeaning++;
      out.push(JSON.stringify(this.pseudoVideo(world, rng.pick(wrong.length > 0 ? wrong : meanings), rng)));
    }
    this.counts.generations += out.length;
    return out;
  }

  stats(): Record<string, number> {
    return { ...this.counts };
  }

  private pseudoVideo(world: WorldKnowledge, meaning: number, rng: Rng) {
    const { offTopicRate } = this.params;
    const words = (count: number) => {
      const pool = [...new Set(world.sampleCaption(meaning, rng, offTopicRate).split(' '))];
      return pool.slice(0, count);
    };
    return {
      caption: world.sampleCaption(meaning, rng, offTopicRate),
      tags: words(this.params.tags),
      coverText: words(4).join(' '),
      keywords: words(this.params.keywords),
      // drawn from the meaning, never copied from the query, so relevance comes from knowledge alone
      relatedQueries: Array.from({ length: this.params.relatedQueries }, () => words(2).join(' ')),
    };
  }

  private world(): WorldKnowledge {
    if (this.knowledge) return this.knowledge;
    if (!this.dataset.knowledge) throw new TrialFailure("llm 'world-knowledge' needs a dataset that exposes its topic model (trait world-ground-truth), e.g. synthetic-world");
    return (this.knowledge = this.dataset.knowledge());
  }
}

export default definePlugin({
  kind: 'llm',
  name: 'world-knowledge',
  summary: "simulated LLM: pseudo-videos sampled from the world's true word distributions of the query's meanings",
  schema: WorldKnowledgeParams,
  implementation: WorldKnowledgeLlm,
  provides: ['llm'],
  requires: [{ trait: 'world-ground-truth', because: "it samples from a simulated world's topic model, which real logs do not have; use openai-compatible or replay instead" }],
});
