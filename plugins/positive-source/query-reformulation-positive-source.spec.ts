import { afterAll, describe, expect, it } from 'vitest';
import { closeLogDb } from '../../kits/logs/log-db.ts';
import type { Impression, LogStore, SearchSession } from '../../src/extension-points/log-store.ts';
import { Discriminator } from '../../src/extension-points/discriminator.ts';
import type { PositiveSource } from '../../src/extension-points/positive-source.ts';
import { describePositiveSourceConformance } from '../../test/conformance/data-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { TableDiscriminator } from '../../test/support/table-discriminator.ts';
import plugin from './query-reformulation-positive-source.ts';

const T0 = Date.UTC(2024, 0, 2);
const s = (sessionId: number, userId: number, seconds: number, query: string): SearchSession => ({
  sessionId,
  userId,
  tsMs: T0 + Math.round(seconds * 1000),
  query,
  source: 'typed',
});
const took = (sessionId: number, itemId: number, how: Partial<Impression> = { clicked: true }): Impression => ({
  sessionId,
  itemId,
  stage: 'shown',
  position: itemId,
  clicked: false,
  liked: false,
  playMs: 0,
  ...how,
});

/** Logs whose reformulation positives are known by construction (see each session's comment). */
function logs(): LogStore {
  return {
    items: Array.from({ length: 12 }, (_, id) => ({ id, text: `item${id}` })),
    train: {
      sessions: [
        s(1, 1, 0, 'cat'),
        s(2, 1, 90, 'cat toy'), // exactly 90 s later: inside the window
        s(50, 5, 10, 'cat toy'), // another user's reformulation-like query: never credited to user 1's 'cat'
        s(10, 2, 0, 'dog'),
        s(11, 2, 90.001, 'dog bed'), // 1 ms past the window
        s(20, 3, 0, 'fish'),
        s(21, 3, 30, 'fish tank'), // no interaction, but the chain goes on
        s(22, 3, 60, 'fish tank filter'),
        s(40, 6, 1000, 'cat'),
        s(41, 6, 1010, 'weather'), // a different need: the query pair is not similar
        s(60, 7, 2000, 'cat'),
        s(61, 7, 2005, 'cat'), // the same query again is not a reformulation
      ],
      impressions: [
        took(2, 1),
        took(2, 2, { liked: true }), // taken, but the discriminator finds it irrelevant to 'cat'
        took(2, 3, {}), // shown, not taken
        took(2, 9, { playMs: 15_000 }), // a long play without click or like
        took(50, 6),
        took(11, 4),
        took(22, 5),
        took(41, 7),
        took(61, 10),
      ],
      recInteractions: [],
    },
    test: { sessions: [s(100, 1, 86_400, 'cat'), s(101, 1, 86_410, 'cat toy')], impressions: [took(101, 8)], recInteractions: [] },
    judgments: [],
  };
}

const discriminator = new TableDiscriminator({
  'cat|cat toy': 0.9,
  'cat|weather': 0.1,
  'dog|dog bed': 0.9,
  'fish|fish tank': 0.8,
  'fish|fish tank filter': 0.7,
  'fish tank|fish tank filter': 0.9,
  'cat|item1': 0.9,
  'cat|item2': 0.5,
  'cat|item3': 0.9,
  'cat|item6': 0.9,
  'cat|item7': 0.9,
  'cat|item8': 0.9,
  'cat|item9': 0.61,
  'cat|item10': 0.9,
  'dog|item4': 0.9,
  'fish|item5': 0.9,
  'fish tank|item5': 0.65,
});

const store = logs();
afterAll(() => closeLogDb(store));

const bindDiscriminator = { bind: (c: import('inversify').Container) => c.bind(Discriminator).toConstantValue(discriminator) };
const mine = async (params: object = {}, from: LogStore = store) =>
  (await instantiate<PositiveSource>(plugin, params, bindDiscriminator).mine(from)).candidates.map((c) => `${c.query}/${c.itemId}/${c.origin}`);

describe('query-reformulation positive source', () => {
  it("credits what a user took after a similar query within the window to the original query, chains included", async () => {
    expect(await mine()).toEqual(['cat/1/reformulation', 'fish/5/reformulation', 'fish tank/5/reformulation']);
  });

  it('records the user behaviour behind each pair: user, reformulated session and query, time gap', async () => {
    const got = (await instantiate<PositiveSource>(plugin, {}, bindDiscriminator).mine(store)).candidates;
    expect(got.map((c) => [c.query, c.itemId, c.via])).toEqual([
      ['cat', 1, { userId: 1, sessionId: 2, sourceQuery: 'cat toy', gapMs: 90_000 }],
      ['fish', 5, { userId: 3, sessionId: 22, sourceQuery: 'fish tank filter', gapMs: 60_000 }],
      ['fish tank', 5, { userId: 3, sessionId: 22, sourceQuery: 'fish tank filter', gapMs: 30_000 }],
    ]);
  });

  it('follows a chain only as far as `chain` hops', async () => {
    expect(await mine({ chain: 1 })).toEqual(['cat/1/reformulation', 'fish tank/5/reformulation']);
  });

  it('moves the window edge with windowSeconds', async () => {
    expect(await mine({ windowSeconds: 89.999 })).not.toContain('cat/1/reformulation');
    expect(await mine({ windowSeconds: 91 })).toContain('dog/4/reformulation');
  });

  it('applies both thresholds strictly to the discriminator score', async () => {
    // 'fish tank'/item5 scores 0.65, 'fish'/'fish tank filter' 0.7
    expect(await mine({ threshold: 0.65 })).toEqual(['cat/1/reformulation', 'fish/5/reformulation']);
    expect(await mine({ querySimilarity: 0.7 })).toEqual(['cat/1/reformulation', 'fish tank/5/reformulation']);
    // with any pair of different queries accepted, the unrelated follow-up search counts too
    expect(await mine({ querySimilarity: 0 })).toContain('cat/7/reformulation');
    expect(await mine({ threshold: 0.4 })).toContain('cat/2/reformulation');
  });

  it('counts the chosen interactions', async () => {
    const longPlays = await mine({ interactions: ['long-play'] });
    expect(longPlays).toEqual(['cat/9/reformulation']);
    expect(await mine({ interactions: ['long-play'], longPlayMs: 15_001 })).toEqual([]);
    expect(await mine({ interactions: ['like'] })).toEqual([]);
  });

  it('mines the train split only', async () => {
    const moved = logs();
    moved.train = { sessions: [], impressions: [], recInteractions: [] };
    expect(await mine({}, moved)).toEqual([]);
    await closeLogDb(moved);
  });

  it('needs a discriminator and has a strict schema with the paper defaults', () => {
    expect(plugin.requires?.map((r) => r.trait)).toEqual(['discriminator']);
    expect(plugin.schema.parse({})).toMatchObject({ windowSeconds: 90, threshold: 0.6, querySimilarity: 0.6, chain: 2 });
    expect(() => plugin.schema.parse({ window: 90 })).toThrow();
  });
});

// a discriminator that accepts everything, so the conformance logs yield candidates to check
describePositiveSourceConformance(plugin, { bind: (c) => c.bind(Discriminator).toConstantValue(new TableDiscriminator({}, 1)) });
