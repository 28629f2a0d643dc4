import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLogDb } from '../../kits/logs/log-db.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Candidate } from '../../src/extension-points/samples.ts';
import { Discriminator } from '../../src/extension-points/discriminator.ts';
import type { PositiveSource } from '../../src/extension-points/positive-source.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import datasetPlugin, { type SyntheticWorldDataset } from '../dataset/synthetic-world-dataset.ts';
import queryReformulation from './query-reformulation-positive-source.ts';
import recommendationFeed from './recommendation-feed-positive-source.ts';

/**
 * P1 and P2 on the tiny synthetic world, filtered by a discriminator that reads the world's true
 * meaning of a TEXT (never the item id), and checked against the true grade of the mined item id:
 * this only agrees when the SQL returns the ids of the items the users really took.
 */
describe('reformulation and feed positives on the tiny world', () => {
  let dataset: SyntheticWorldDataset;
  let store: LogStore;
  beforeAll(async () => {
    dataset = instantiate(datasetPlugin, { preset: 'tiny' }) as SyntheticWorldDataset;
    store = await dataset.load();
  });
  afterAll(() => closeLogDb(store));

  const mine = async (plugin: typeof queryReformulation | typeof recommendationFeed, params: object = {}) => {
    const knowledge = dataset.knowledge();
    const byMeaning: Discriminator = { score: (query, text) => knowledge.textGrade(query, text) / 3 };
    const source = instantiate<PositiveSource>(plugin, params, { bind: (c) => c.bind(Discriminator).toConstantValue(byMeaning) });
    return (await source.mine(store)).candidates;
  };
  const relevantShare = (candidates: Candidate[]) => candidates.filter((c) => dataset.trueGrade(c.query, c.itemId) >= 2).length / candidates.length;

  it('mines hundreds of reformulation positives, nearly all truly relevant to the original query', async () => {
    const p1 = await mine(queryReformulation);
    expect(p1.length).toBeGreaterThan(500);
    expect(new Set(p1.map((c) => c.query)).size).toBeGreaterThan(200);
    expect(relevantShare(p1)).toBeGreaterThan(0.95);
    // the world chains up to two reformulations: following them adds positives
    expect((await mine(queryReformulation, { chain: 1 })).length).toBeLessThan(p1.length);
  });

  it('mines thousands of feed positives, nearly all truly relevant to the query', async () => {
    const p2 = await mine(recommendationFeed);
    expect(p2.length).toBeGreaterThan(2000);
    expect(relevantShare(p2)).toBeGreaterThan(0.95);
    // the feed reaches items the search funnel never showed for the query
    const shown = new Set<string>();
    const queryOf = new Map(store.train.sessions.map((s) => [s.sessionId, s.query]));
    for (const imp of store.train.impressions) if (imp.stage === 'shown') shown.add(`${queryOf.get(imp.sessionId)}|${imp.itemId}`);
    expect(p2.filter((c) => !shown.has(`${c.query}|${c.itemId}`)).length / p2.length).toBeGreaterThan(0.5);
  });
});
