import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { Dataset } from '../../src/extension-points/dataset.ts';
import { describeLlmConformance } from '../../test/conformance/llm-conformance.ts';
import { SyntheticWorldDataset, SyntheticWorldParams } from '../dataset/synthetic-world-dataset.ts';
import { parseGeneration, pseudoVideoText } from '../positive-source/llm-knowledge/pseudo-video.ts';
import plugin, { WorldKnowledgeLlm, WorldKnowledgeParams } from './world-knowledge-llm.ts';

const dataset = new SyntheticWorldDataset(SyntheticWorldParams.parse({ preset: 'tiny' }));
const world = dataset.getWorld();
const wordOf = (id: number) => world.vocab.words[id]!;
const make = (params: Partial<WorldKnowledgeParams> = {}, seed = 1) => new WorldKnowledgeLlm(WorldKnowledgeParams.parse(params), new Rng(seed), dataset);
const ask = (query: string, n: number) => ({ prompt: 'ignored', query, n, temperature: 0.7 });

/** Ground-truth grades (0..3) of the pseudo-item texts generated for `queries`. */
async function grades(llm: WorldKnowledgeLlm, queries: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const q of queries) {
    for (const reply of await llm.generate(ask(q, 3))) {
      const [video] = parseGeneration(reply).videos;
      expect(video).toBeDefined();
      out.push(world.textGrade(q, pseudoVideoText(video!)));
    }
  }
  return out;
}

describe('world-knowledge llm on the tiny world', () => {
  let store: LogStore;
  let queries: string[];
  beforeAll(async () => {
    store = await dataset.load();
    const distinct = [...new Set(store.train.sessions.map((s) => s.query))].sort();
    queries = new Rng(5).shuffle(distinct).slice(0, 150);
  });

  it('writes pseudo-videos that are mostly truly relevant to their query', async () => {
    const g = await grades(make(), queries);
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const relevant = g.filter((x) => x >= 2).length / g.length;
    // tiny world, 150 train queries x 3, offTopicRate 0.1: all 450 at grade 3 when this was written
    expect(g.length).toBeGreaterThan(400);
    expect(mean).toBeGreaterThan(2.5);
    expect(relevant).toBeGreaterThan(0.85);
  });

  it('writes off-topic pseudo-videos at an off-topic rate of 1', async () => {
    const g = await grades(make({ offTopicRate: 1 }), queries.slice(0, 50));
    expect(g.every((x) => x === 0)).toBe(true);
  });

  it('writes every pseudo-video from a meaning the query does not have at a wrong-meaning rate of 1', async () => {
    const llm = make({ wrongMeaningRate: 1, offTopicRate: 0 });
    let videos = 0;
    for (const q of queries.slice(0, 60)) {
      const right = new Set(world.meanings(q));
      for (const reply of await llm.generate(ask(q, 3))) {
        videos++;
        const caption = parseGeneration(reply).videos[0]!.caption!;
        // with no off-topic words, every specific word names the meaning the text was written from
        const specific = world.vocab.canonicalTokens(caption).filter((w) => world.vocab.role[w] === 'specific');
        expect(specific.length, caption).toBeGreaterThan(0);
        for (const w of specific) expect(right.has(world.vocab.subtopicOf[w]!), `${q}: ${caption}`).toBe(false);
      }
    }
    expect(llm.stats()).toMatchObject({ generations: videos, wrongMeaning: videos });
    // misread pseudo-videos grade low for their query; the faithful ones do not
    const wrong = await grades(make({ wrongMeaningRate: 1 }), queries.slice(0, 60));
    expect(wrong.filter((x) => x >= 2).length / wrong.length).toBeLessThan(0.2);
  });

  it('keeps the texts of a faithful LLM at a wrong-meaning rate of 0, and misreads about the set share', async () => {
    const q = queries[0]!;
    expect(await make({ wrongMeaningRate: 0 }).generate(ask(q, 5))).toEqual(await make().generate(ask(q, 5)));
    const llm = make({ wrongMeaningRate: 0.3 });
    for (const query of queries) await llm.generate(ask(query, 3));
    const { generations, wrongMeaning } = llm.stats() as { generations: number; wrongMeaning: number };
    expect(wrongMeaning / generations).toBeGreaterThan(0.22);
    expect(wrongMeaning / generations).toBeLessThan(0.38);
  });

  it('names wrong meanings from the query\'s own topic first, then from other topics', () => {
    const topic = world.topics.find((t) => t.subtopics.length >= 3)!;
    const head = wordOf(topic.head[0]!);
    const specific = wordOf(world.subtopics[topic.subtopics[0]!]!.words[0]!);
    expect(world.wrongMeanings(specific)).toEqual(topic.subtopics.slice(1));
    const others = world.wrongMeanings(head);
    expect(others.length).toBe(world.subtopics.length - topic.subtopics.length);
    expect(others.some((s) => topic.subtopics.includes(s))).toBe(false);
    expect(world.wrongMeanings('zzzz qqqq')).toEqual([]);
  });

  it('covers every meaning of an ambiguous query, not only the dominant one', async () => {
    const topic = world.topics.find((t) => t.subtopics.length >= 3)!;
    const query = wordOf(topic.head[0]!);
    expect(world.meanings(query).length).toBe(topic.subtopics.length);
    const covered = new Set<number>();
    for (const reply of await make().generate(ask(query, 30))) {
      const text = pseudoVideoText(parseGeneration(reply).videos[0]!);
      // the meaning a text is about: the one whose single-meaning query grades it highest
      const best = topic.subtopics.map((s) => world.textGrade(wordOf(world.subtopics[s]!.words[0]!), text));
      covered.add(topic.subtopics[best.indexOf(Math.max(...best))]!);
    }
    expect(covered.size).toBe(topic.subtopics.length);
  });

  it('returns nothing for a query the world does not know, and counts it', async () => {
    const llm = make();
    expect(await llm.generate(ask('zzzz qqqq', 3))).toEqual([]);
    expect(llm.stats()).toMatchObject({ requests: 1, unknownQueries: 1, generations: 0 });
  });

  it('gives generation i independently of n and of the trial seed stream position', async () => {
    const q = wordOf(world.subtopics[3]!.words[0]!);
    const five = await make().generate(ask(q, 5));
    expect((await make().generate(ask(q, 2))).slice(0, 2)).toEqual(five.slice(0, 2));
    expect(await make({}, 2).generate(ask(q, 5))).not.toEqual(five);
  });

  it('declares that it needs the world ground truth', () => {
    expect(plugin.requires?.map((r) => r.trait)).toEqual(['world-ground-truth']);
  });
});

describeLlmConformance(plugin, {
  queries: [wordOf(world.topics[0]!.head[0]!), wordOf(world.subtopics[1]!.words[0]!)],
  bind: (c) => c.bind(Dataset).toConstantValue(dataset),
});
