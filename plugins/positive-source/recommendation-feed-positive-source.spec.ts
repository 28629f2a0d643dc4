import type { Container } from 'inversify';
import { afterAll, describe, expect, it } from 'vitest';
import { closeLogDb } from '../../kits/logs/log-db.ts';
import type { LogStore, RecInteraction, SearchSession } from '../../src/extension-points/log-store.ts';
import { Discriminator } from '../../src/extension-points/discriminator.ts';
import type { PositiveSource } from '../../src/extension-points/positive-source.ts';
import { describePositiveSourceConformance } from '../../test/conformance/data-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { TableDiscriminator } from '../../test/support/table-discriminator.ts';
import plugin from './recommendation-feed-positive-source.ts';

const T = Date.UTC(2024, 0, 2, 10);
const HOUR = 3_600_000;
const s = (sessionId: number, userId: number, tsMs: number, query: string): SearchSession => ({ sessionId, userId, tsMs, query, source: 'typed' });
const feed = (userId: number, itemId: number, tsMs: number, how: Partial<RecInteraction> = { clicked: true }): RecInteraction => ({
  userId,
  itemId,
  tsMs,
  playMs: 1000,
  durationMs: 10_000,
  clicked: false,
  liked: false,
  ...how,
});

/** Logs whose feed positives are known by construction (see each interaction's comment). */
function logs(): LogStore {
  return {
    items: Array.from({ length: 20 }, (_, id) => ({ id, text: `item${id}` })),
    train: {
      sessions: [s(1, 1, T, 'cat'), s(2, 2, T + 2 * HOUR, 'dog'), s(3, 3, T, 'bird'), s(4, 4, T + 5 * HOUR, 'cat')],
      impressions: [],
      recInteractions: [
        feed(1, 1, T - HOUR), // exactly one hour before: inside
        feed(1, 2, T + HOUR + 1), // 1 ms past the window
        feed(1, 3, T + 10_000), // taken, but irrelevant to 'cat'
        feed(1, 4, T + 100_000, { playMs: 1000 }), // a short view: no interaction
        feed(1, 9, T + 200_000, { playMs: 6000 }), // played 60 %: a long play
        feed(2, 5, T), // user 2 never searched 'cat'
        feed(2, 6, T + 2 * HOUR + 60_000, { liked: true }),
        feed(4, 9, T + 5 * HOUR, { playMs: 6000 }), // another user who searched 'cat' played item 9 too: listed once
        ...[10, 11, 12, 13, 14, 15].map((itemId, k) => feed(3, itemId, T + (k + 1) * 60_000)), // 15 is irrelevant
      ],
    },
    test: { sessions: [s(9, 1, T + 48 * HOUR, 'cat')], impressions: [], recInteractions: [feed(1, 8, T + 48 * HOUR)] },
    judgments: [],
  };
}

const scores: Record<string, number> = { 'cat|item3': 0.3, 'cat|item9': 0.61, 'bird|item15': 0.2 };
for (const id of [1, 2, 4, 5, 8]) scores[`cat|item${id}`] = 0.9;
for (const id of [10, 11, 12, 13, 14]) scores[`bird|item${id}`] = 0.9;
scores['dog|item6'] = 0.9;
const discriminator = new TableDiscriminator(scores);

const store = logs();
afterAll(() => closeLogDb(store));

const bindDiscriminator = (d: Discriminator) => ({ bind: (c: Container) => c.bind(Discriminator).toConstantValue(d) });
const mine = async (params: object = {}, from: LogStore = store) =>
  (await instantiate<PositiveSource>(plugin, params, bindDiscriminator(discriminator)).mine(from)).candidates.map((c) => `${c.query}/${c.itemId}`);

describe('recommendation-feed positive source', () => {
  it("credits the searching user's relevant feed items within ±window to the query, latest first", async () => {
    expect(await mine()).toEqual(['bird/14', 'bird/13', 'bird/12', 'bird/11', 'bird/10', 'cat/9', 'cat/1', 'dog/6']);
    const [first] = (await instantiate<PositiveSource>(plugin, {}, bindDiscriminator(discriminator)).mine(store)).candidates;
    expect(first!.origin).toBe('feed');
  });

  it('records the nearest search behind each pair: user, session and signed time gap', async () => {
    const got = (await instantiate<PositiveSource>(plugin, {}, bindDiscriminator(discriminator)).mine(store)).candidates;
    const via = Object.fromEntries(got.map((c) => [`${c.query}/${c.itemId}`, c.via]));
    expect(via['cat/1']).toEqual({ userId: 1, sessionId: 1, gapMs: -HOUR });
    // item 9 was played by user 1 (200 s after their search) and by user 4 (at their search): the nearer one
    expect(via['cat/9']).toEqual({ userId: 4, sessionId: 4, gapMs: 0 });
    expect(via['dog/6']).toEqual({ userId: 2, sessionId: 2, gapMs: 60_000 });
  });

  it('moves the window edges with windowSeconds', async () => {
    expect(await mine({ windowSeconds: 3599.999 })).not.toContain('cat/1');
    expect(await mine({ windowSeconds: 3601 })).toContain('cat/2');
  });

  it('caps each query at maxItems relevant items, by recency or by nearness in time', async () => {
    const birds = async (prefer: string) => (await mine({ maxItems: 3, prefer })).filter((c) => c.startsWith('bird/'));
    // the irrelevant item 15 is the latest but takes no place under the cap
    expect(await birds('latest')).toEqual(['bird/14', 'bird/13', 'bird/12']);
    expect(await birds('nearest')).toEqual(['bird/10', 'bird/11', 'bird/12']);
  });

  it('counts the chosen interactions and applies the threshold strictly', async () => {
    expect((await mine({ interactions: ['any'] })).filter((c) => c.startsWith('cat/'))).toEqual(['cat/9', 'cat/4', 'cat/1']);
    expect(await mine({ interactions: ['long-play'], longPlayFraction: 0.6 })).toEqual(['cat/9']);
    expect(await mine({ interactions: ['like'] })).toEqual(['dog/6']);
    expect(await mine({ threshold: 0.61 })).not.toContain('cat/9');
  });

  it('mines the train split only', async () => {
    const moved = logs();
    moved.train = { sessions: [], impressions: [], recInteractions: [] };
    expect(await mine({}, moved)).toEqual([]);
    await closeLogDb(moved);
  });

  it('needs a discriminator and has a strict schema with the paper defaults', () => {
    expect(plugin.requires?.map((r) => r.trait)).toEqual(['discriminator']);
    expect(plugin.schema.parse({})).toMatchObject({ windowSeconds: 3600, threshold: 0.6, maxItems: 100, prefer: 'latest' });
    expect(() => plugin.schema.parse({ maxitems: 3 })).toThrow();
  });
});

// a discriminator that accepts everything, so the conformance logs yield candidates to check
describePositiveSourceConformance(plugin, bindDiscriminator(new TableDiscriminator({}, 1)));
