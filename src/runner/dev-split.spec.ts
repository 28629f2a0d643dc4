import 'reflect-metadata';
import { Container } from 'inversify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry } from '../cli/registry.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { TrainSettings, type TrialConfig } from '../config/trial-config.ts';
import { TrialFailure } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { Dataset } from '../extension-points/dataset.ts';
import type { LogStore } from '../extension-points/log-store.ts';
import { carveDevSplit, heldOutQuery } from './dev-split.ts';
import { MinedCache, miningKey, mineTrainingSet } from './mining.ts';
import { PluginFactory } from './plugin-factory.ts';

let registry: PluginRegistry;
let store: LogStore;
let container: Container;

const dataset = { use: 'synthetic-world', params: { preset: 'tiny', items: 600, users: 200, sessionsPerDay: 300 } };
const factory = () => new PluginFactory(new Container({ parent: container }), { registry, rng: new Rng(1), cacheRoot: mkdtempSync(join(tmpdir(), 'dev-split-')), logLevel: 'silent' });

beforeAll(async () => {
  registry = await buildRegistry();
  container = new Container();
  const world = factory().create<Dataset>('dataset', dataset);
  container.bind(Dataset).toConstantValue(world);
  store = await world.load();
}, 120_000);

const cfg = (select: boolean): TrialConfig =>
  ({
    name: 't',
    seed: 1,
    dataset,
    positiveSource: [
      { use: 'search-clicks', params: {} },
      { use: 'query-reformulation', params: {} },
      { use: 'recommendation-feed', params: {} },
    ].map((r) => ({ ...r, params: registry.get('positiveSource', r.use).schema.parse(r.params) as Record<string, unknown> })),
    discriminator: { use: 'oracle', params: registry.get('discriminator', 'oracle').schema.parse({}) as Record<string, unknown> },
    labelScheme: { use: 'hla', params: {} },
    loss: { use: 'h-info-nce', params: {} },
    train: TrainSettings.parse({ steps: 10, ...(select ? { select: { metric: 'recall@100/dev' } } : {}) }),
  }) as Partial<TrialConfig> as TrialConfig;

/** Train-day clicks per query, recomputed from the raw logs. */
function trainDayClicks(s: LogStore): Map<string, Set<number>> {
  const queryOf = new Map(s.train.sessions.map((x) => [x.sessionId, x.query]));
  const clicks = new Map<string, Set<number>>();
  for (const i of s.train.impressions) {
    if (!i.clicked) continue;
    const q = queryOf.get(i.sessionId)!;
    if (!clicks.has(q)) clicks.set(q, new Set());
    clicks.get(q)!.add(i.itemId);
  }
  return clicks;
}

/** A clicked train-day query that a share of 0.1 keeps in training. */
function keptQuery(): string {
  return [...trainDayClicks(store).keys()].find((q) => !heldOutQuery(q, 0.1))!;
}

describe('the dev split of model selection', () => {
  it('holds out a share of clicked train-day queries, scored on their train-day clicks only', () => {
    const dev = carveDevSplit(store, 0.1);
    expect(dev.origin).toBe('train-day');
    const clicks = trainDayClicks(store);
    const expected = [...clicks.keys()].filter((q) => heldOutQuery(q, 0.1)).sort();
    expect(dev.set.name).toBe('dev');
    expect(dev.set.queries).toEqual(expected);
    // about a tenth of the clicked queries, and never none
    expect(expected.length).toBeGreaterThan(0.05 * clicks.size);
    expect(expected.length).toBeLessThan(0.15 * clicks.size);
    for (const q of dev.set.queries) expect(new Set(dev.set.byQuery.get(q)!.keys())).toEqual(clicks.get(q));
  });

  it('never reads the test day: the same split whatever the test split and judgments hold', () => {
    const blind = carveDevSplit({ ...store, test: { sessions: [], impressions: [], recInteractions: [] }, judgments: [] }, 0.1);
    const dev = carveDevSplit(store, 0.1);
    expect(blind.set.queries).toEqual(dev.set.queries);
    expect([...blind.set.byQuery].map(([q, m]) => [q, [...m]])).toEqual([...dev.set.byQuery].map(([q, m]) => [q, [...m]]));
    // and the logs left for training keep the test day and the judged set untouched
    expect(dev.trainStore.test).toBe(store.test);
    expect(dev.trainStore.judgments).toBe(store.judgments);
  });

  it('is the same in every run and trial, and a larger share holds out a superset', () => {
    const a = carveDevSplit(store, 0.1).set.queries;
    expect(carveDevSplit(store, 0.1).set.queries).toEqual(a);
    const b = new Set(carveDevSplit(store, 0.2).set.queries);
    expect(a.every((q) => b.has(q))).toBe(true);
    expect(b.size).toBeGreaterThan(a.length);
  });

  it('gives its queries no training positive: their sessions leave the mined logs, and anything mined for them is dropped', async () => {
    const dev = carveDevSplit(store, 0.1);
    const held = new Set(dev.set.queries);
    expect(dev.trainStore.train.sessions.some((s) => held.has(s.query))).toBe(false);
    const kept = new Set(dev.trainStore.train.sessions.map((s) => s.sessionId));
    expect(dev.trainStore.train.impressions.every((i) => kept.has(i.sessionId))).toBe(true);
    expect(dev.trainStore.train.sessions.length).toBeLessThan(store.train.sessions.length);

    const withDev = await mineTrainingSet(cfg(true), dev.trainStore, factory(), new MinedCache(undefined), registry, [], held);
    expect(withDev.data.lists.length).toBeGreaterThan(0);
    expect(withDev.data.lists.filter((l) => held.has(l.query))).toEqual([]);
    // the null: without the hold-out the same sources do train on those queries
    const without = await mineTrainingSet(cfg(false), store, factory(), new MinedCache(undefined), registry, []);
    expect(without.data.lists.filter((l) => held.has(l.query)).length).toBeGreaterThan(0);

    // a source that mines a dev query from elsewhere still yields no training list for it
    const leaky = { candidates: [{ query: dev.set.queries[0]!, itemId: 0, origin: 'search-click' }] };
    const cache = new MinedCache(undefined);
    const c = cfg(true);
    await cache.get(miningKey({ ...c, positiveSource: c.positiveSource.slice(0, 1) }, 0, registry), async () => leaky);
    const filtered = await mineTrainingSet({ ...c, positiveSource: c.positiveSource.slice(0, 1) }, dev.trainStore, factory(), cache, registry, [], held);
    expect(filtered.data.lists).toEqual([]);
  }, 120_000);

  it('keys the mining cache on the hold-out only when selection is on', () => {
    const off = cfg(false);
    expect(miningKey(off, 0, registry)).toBe(miningKey({ ...off, train: TrainSettings.parse({ steps: 99 }) }, 0, registry));
    expect(miningKey(cfg(true), 0, registry)).not.toBe(miningKey(off, 0, registry));
  });

  it("keeps a dataset's own dev set and removes its queries from the train judgments", () => {
    const named: LogStore = {
      items: [{ id: 0, text: 'a' }, { id: 1, text: 'b' }],
      train: { sessions: [], impressions: [], recInteractions: [] },
      test: { sessions: [], impressions: [], recInteractions: [] },
      judgments: [],
      evalSets: [{ name: 'dev', judgments: [{ query: 'q1', itemId: 1, grade: 1 }] }],
      trainJudgments: [
        { query: 'q1', itemId: 0, grade: 1 },
        { query: 'q2', itemId: 1, grade: 1 },
      ],
    };
    const dev = carveDevSplit(named, 0.1);
    expect(dev.origin).toBe('dataset');
    expect(dev.set.queries).toEqual(['q1']);
    expect(dev.trainStore.trainJudgments).toEqual([{ query: 'q2', itemId: 1, grade: 1 }]);
  });

  it('fails the trial with what to do when there is nothing to hold out', () => {
    const bare: LogStore = { ...store, train: { sessions: [], impressions: [], recInteractions: [] }, evalSets: [] };
    expect(() => carveDevSplit(bare, 0.1)).toThrow(TrialFailure);
    expect(() => carveDevSplit(bare, 0.1)).toThrow(/no train-day clicks.*devFromTrain/);
    const few: LogStore = { ...store, train: { ...store.train, sessions: store.train.sessions.filter((s) => s.query === keptQuery()) } };
    expect(() => carveDevSplit(few, 0.1)).toThrow(/selects none; raise train.select.devShare/);
  });
});
