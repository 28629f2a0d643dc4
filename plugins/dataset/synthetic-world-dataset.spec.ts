import { beforeAll, describe, expect, it } from 'vitest';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import plugin, { SyntheticWorldDataset, SyntheticWorldParams, withPresetValues } from './synthetic-world-dataset.ts';
import type { GeneratedWorld } from './synthetic-world/generate.ts';
import { DAY_MS, EPOCH_MS, PRESETS, TEST_DAY, TRAIN_DAY, resolveWorldConfig } from './synthetic-world/presets.ts';
import { Rng } from '../../src/core/rng.ts';
import { describeDatasetConformance } from '../../test/conformance/data-conformance.ts';

const dataset = (params: Partial<SyntheticWorldParams> = {}) => new SyntheticWorldDataset(SyntheticWorldParams.parse(params));
const fingerprint = (s: LogStore) => JSON.stringify([s.items, s.train, s.test, s.judgments, [...s.querySlices!], s.description]);

describe('synthetic-world dataset', () => {
  let g: GeneratedWorld;

  beforeAll(() => {
    g = dataset().generate();
  });

  // generation speed is measured by `npm run bench`, not asserted here
  it('generates a tiny preset of the documented size', () => {
    expect(g.store.items.length).toBeGreaterThanOrEqual(3000);
    expect(g.store.train.sessions.length).toBeGreaterThan(2000);
  });

  it('refuses, before any work, a world whose logs cannot fit the JS heap, and says how to fix it', () => {
    expect(() => dataset({ sessionsPerDay: 100_000_000 }).generate()).toThrow(
      /synthetic-world: these logs need about \d+\.\d GB of JS heap, more than this process's limit of \d+\.\d GB; run with NODE_OPTIONS=--max-old-space-size=\d+/,
    );
  });

  it('is deterministic in its own seed and ignores nothing else', () => {
    expect(fingerprint(dataset().generate().store)).toBe(fingerprint(g.store));
    const small = { items: 600, users: 200, sessionsPerDay: 300 };
    expect(fingerprint(dataset({ ...small, seed: 1 }).generate().store)).toBe(fingerprint(dataset({ ...small, seed: 1 }).generate().store));
    expect(fingerprint(dataset({ ...small, seed: 2 }).generate().store)).not.toBe(fingerprint(dataset({ ...small, seed: 1 }).generate().store));
  });

  it('has dense item ids, readable captions and timestamps on the right days', () => {
    const { items, train, test } = g.store;
    items.forEach((it, i) => expect(it.id).toBe(i));
    expect(items[0]!.text).toMatch(/^[a-z]+( [a-z]+)+$/);
    const words = items[0]!.fields!.caption!.split(' ').length;
    expect(words).toBeGreaterThanOrEqual(8);
    expect(words).toBeLessThanOrEqual(20);
    const day = (ts: number) => Math.floor((ts - EPOCH_MS) / DAY_MS);
    expect(new Set(train.sessions.map((s) => day(s.tsMs)))).toEqual(new Set([TRAIN_DAY]));
    expect(new Set(test.sessions.map((s) => day(s.tsMs)))).toEqual(new Set([TEST_DAY]));
    expect(new Set(train.recInteractions.map((r) => day(r.tsMs)))).toEqual(new Set([TRAIN_DAY]));
    for (const split of [train, test]) {
      for (let i = 1; i < split.sessions.length; i++) {
        expect(split.sessions[i]!.tsMs).toBeGreaterThanOrEqual(split.sessions[i - 1]!.tsMs);
        expect(split.sessions[i]!.sessionId).toBe(split.sessions[i - 1]!.sessionId + 1);
      }
    }
    expect(test.sessions[0]!.sessionId).toBe(train.sessions.at(-1)!.sessionId + 1);
  });

  it('logs a consistent funnel per session', () => {
    const { config } = dataset();
    const bySession = new Map<number, LogStore['train']['impressions']>();
    for (const imp of g.store.train.impressions) {
      if (!bySession.has(imp.sessionId)) bySession.set(imp.sessionId, []);
      bySession.get(imp.sessionId)!.push(imp);
    }
    expect(bySession.size).toBe(g.store.train.sessions.length);
    const order = { shown: 0, ranked_not_shown: 1, prerank_filtered: 2 } as const;
    // collect violations and assert once: per-impression expects would dominate the run time
    const problems: string[] = [];
    for (const [id, imps] of bySession) {
      const shown = imps.filter((i) => i.stage === 'shown').length;
      if (shown < config.shownMin || shown > config.shownMax) problems.push(`${id}: ${shown} shown`);
      if (imps.filter((i) => i.stage !== 'prerank_filtered').length !== config.prerankKeep) problems.push(`${id}: ranked set size`);
      if (imps.length !== config.retrieveK) problems.push(`${id}: ${imps.length} retrieved`);
      if (new Set(imps.map((i) => i.itemId)).size !== imps.length) problems.push(`${id}: repeated item`);
      const sorted = [...imps].sort((a, b) => a.position - b.position);
      sorted.forEach((imp, p) => {
        if (imp.position !== p) problems.push(`${id}: position ${imp.position} at ${p}`);
        if (p > 0 && order[imp.stage] < order[sorted[p - 1]!.stage]) problems.push(`${id}: stage order at ${p}`);
        if (imp.stage !== 'shown' && (imp.clicked || imp.liked || imp.playMs > 0)) problems.push(`${id}: interaction on unshown item`);
        if (imp.stage === 'shown' && imp.playMs > 0 !== imp.clicked) problems.push(`${id}: play without click`);
      });
    }
    expect(problems.slice(0, 5)).toEqual([]);
    const clicked = new Set(g.store.train.impressions.filter((i) => i.clicked).map((i) => i.sessionId));
    const share = clicked.size / g.store.train.sessions.length;
    // near KuaiSAR's ~60% of search sessions with a click
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.85);
  });

  it('clicks rise with true relevance to the intent and fall with position', () => {
    const intent = new Map(g.train.truth.map((t) => [t.sessionId, t.intent]));
    const rate = (pred: (rel: number, pos: number) => boolean) => {
      const sel = g.store.train.impressions.filter((i) => i.stage === 'shown' && pred(g.world.relevance(intent.get(i.sessionId)!, i.itemId), i.position));
      return sel.filter((i) => i.clicked).length / sel.length;
    };
    expect(rate((rel) => rel === 3)).toBeGreaterThan(3 * rate((rel) => rel === 0));
    expect(rate((rel, pos) => rel === 3 && pos === 0)).toBeGreaterThan(rate((rel, pos) => rel === 3 && pos >= 5));
  });

  it('reformulates unserved intents in the same user’s next session within seconds', () => {
    const sessions = new Map(g.store.train.sessions.map((s) => [s.sessionId, s]));
    const truth = new Map(g.train.truth.map((t) => [t.sessionId, t]));
    const refs = g.train.truth.filter((t) => t.reformulationOf !== undefined);
    expect(refs.length).toBeGreaterThan(100);
    const byUser = new Map<number, number[]>();
    for (const s of g.store.train.sessions) byUser.set(s.userId, [...(byUser.get(s.userId) ?? []), s.sessionId]);
    for (const r of refs) {
      const next = sessions.get(r.sessionId)!;
      const prev = sessions.get(r.reformulationOf!)!;
      expect(next.userId).toBe(prev.userId);
      const gap = next.tsMs - prev.tsMs;
      expect(gap).toBeGreaterThanOrEqual(3000);
      expect(gap).toBeLessThanOrEqual(40_000);
      const own = byUser.get(prev.userId)!;
      expect(own[own.indexOf(prev.sessionId) + 1]).toBe(next.sessionId);
      expect(next.query.startsWith(`${prev.query} `)).toBe(true);
      expect(truth.get(prev.sessionId)!.served).toBe(false);
      expect(truth.get(prev.sessionId)!.intent).toBe(r.intent);
    }
  });

  it('leaves relevant long-tail items of ambiguous queries unshown', () => {
    const { world, store } = g;
    const shownFor = new Map<string, Set<number>>();
    const query = new Map(store.train.sessions.map((s) => [s.sessionId, s.query]));
    for (const imp of store.train.impressions) {
      if (imp.stage !== 'shown') continue;
      const q = query.get(imp.sessionId)!;
      if (!shownFor.has(q)) shownFor.set(q, new Set());
      shownFor.get(q)!.add(imp.itemId);
    }
    const ambiguous = [...shownFor.keys()].filter((q) => store.querySlices!.get(q) === 'ambiguous');
    expect(ambiguous.length).toBeGreaterThan(10);
    let hidden = 0;
    for (const q of ambiguous) {
      const topic = world.topics[world.subtopics[world.meanings(q)[0]!]!.topic]!;
      for (const s of topic.subtopics) {
        if (s === topic.dominant) continue;
        hidden += world.itemsBySubtopic[s]!.filter((id) => world.trueGrade(q, id) >= 2 && !shownFor.get(q)!.has(id)).length;
      }
    }
    expect(hidden).toBeGreaterThan(100);
    expect(store.description!.ambiguousShownDominantShare as number).toBeGreaterThan(0.7);
    expect(store.description!.ambiguousTailIntentShare as number).toBeGreaterThan(0.3);
  });

  it('grades by meaning, not by shared words', () => {
    const { world } = g;
    const topic = world.topics[0]!;
    const [a, b] = topic.subtopics;
    const head = world.vocab.words[topic.head[0]!]!;
    const specific = `${head} ${world.vocab.words[world.subtopics[a!]!.words[0]!]}`;
    const other = world.itemsBySubtopic[b!]!.find((id) => world.items[id]!.secondary < 0 && g.store.items[id]!.text.split(' ').includes(head))!;
    expect(other).toBeDefined();
    expect(world.trueGrade(specific, other)).toBe(0);
    expect(world.trueGrade(head, other)).toBeGreaterThan(0);
    const synonymQuery = world.vocab.words[world.vocab.synonym[world.subtopics[a!]!.words[0]!]!]!;
    const own = world.itemsBySubtopic[a!]!.find((id) => world.items[id]!.quality >= 0.35)!;
    expect(g.store.items[own]!.text.split(' ')).not.toContain(synonymQuery);
    expect(world.trueGrade(synonymQuery, own)).toBe(3);
    expect(world.textGrade(head, specific)).toBeGreaterThanOrEqual(2);
    expect(world.textGrade(specific, world.sampleCaption(b!, new Rng(1), 0))).toBeLessThanOrEqual(1);
    expect(world.textGrade(specific, world.sampleCaption(a!, new Rng(1), 0))).toBe(3);
  });

  it('writes judged pairs with ground-truth grades from a pool mixing relevant and non-relevant items', () => {
    const { judgments } = g.store;
    expect(judgments.length).toBeGreaterThan(1000);
    for (const j of judgments.slice(0, 500)) expect(j.grade).toBe(g.world.trueGrade(j.query, j.itemId));
    // the sampled pool mixes both kinds; the qrels add every relevant item (see judged.spec.ts)
    const relevant = g.judged.pool.filter((j) => j.grade > 0).length / g.judged.pool.length;
    expect(relevant).toBeGreaterThan(0.2);
    expect(relevant).toBeLessThan(0.8);
    const testQueries = new Set(g.store.test.sessions.map((s) => s.query));
    expect(judgments.every((j) => testQueries.has(j.query))).toBe(true);
  });

  it('uses synonyms absent from captions at about the configured rate', () => {
    const vocab = g.world.vocab;
    const words = g.store.train.sessions.flatMap((s) => s.query.split(' '));
    const synonyms = words.filter((w) => vocab.isSynonym(vocab.lookup(w))).length / words.length;
    expect(synonyms).toBeGreaterThan(0.2);
    expect(synonyms).toBeLessThan(0.4);
    const captionWords = new Set(g.store.items.flatMap((i) => i.text.split(' ')));
    expect(words.filter((w) => vocab.isSynonym(vocab.lookup(w))).some((w) => captionWords.has(w))).toBe(false);
    const none = dataset({ items: 600, users: 200, sessionsPerDay: 300, querySynonymRate: 0 }).generate();
    expect(none.store.train.sessions.flatMap((s) => s.query.split(' ')).some((w) => vocab.isSynonym(none.world.vocab.lookup(w)))).toBe(false);
  });

  it('serves the test day with its own exposure policy', () => {
    const small = { items: 1500, users: 500, sessionsPerDay: 1000 };
    const tailShare = (testExploration: number) => {
      const { world, store } = dataset({ ...small, testExploration }).generate();
      const shown = store.test.impressions.filter((i) => i.stage === 'shown');
      return shown.filter((i) => world.topics[world.subtopics[world.items[i.itemId]!.subtopic]!.topic]!.dominant !== world.items[i.itemId]!.subtopic).length / shown.length;
    };
    expect(tailShare(0.8)).toBeGreaterThan(tailShare(0) + 0.1);
  });

  it('draws feed interactions from user interests, around the user’s searches', () => {
    const { world, store } = g;
    const rec = store.train.recInteractions;
    expect(rec.length).toBeGreaterThan(world.users.length);
    const onInterest = rec.filter((r) => world.users[r.userId]!.interests.some((s) => world.relevance(s, r.itemId) >= 1)).length;
    expect(onInterest / rec.length).toBeGreaterThan(0.7);
    for (const r of rec.slice(0, 200)) expect(r.playMs).toBeLessThanOrEqual(r.durationMs);
  });

  it('labels query slices and reports diagnostics', () => {
    const { store } = g;
    for (const s of [...store.train.sessions, ...store.test.sessions]) expect(['ambiguous', 'specific', 'cold']).toContain(store.querySlices!.get(s.query));
    const kinds = new Set(store.querySlices!.values());
    expect(kinds).toEqual(new Set(['ambiguous', 'specific', 'cold']));
    for (const key of ['exposureTop10Share', 'trainClickSessionShare', 'trainReformulationRate', 'relevantNeverShownShare']) {
      const v = store.description![key] as number;
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1);
    }
    expect(store.description!.exposureTop10Share as number).toBeGreaterThan(0.4);
  });

  it("writes each knob left out as its preset's value, keeping those named and the world they make", () => {
    const given = SyntheticWorldParams.parse({ preset: 'small', querySynonymRate: 0.5 });
    const filled = withPresetValues(given);
    expect(filled).toMatchObject({ preset: 'small', items: 30_000, sessionsPerDay: 30_000, querySynonymRate: 0.5, rankerRelevanceMix: 0.5, tailExposure: [0.03, 0.15] });
    // every knob of the schema is written out, and nothing it does not accept
    expect(Object.keys(filled).sort()).toEqual(Object.keys(SyntheticWorldParams.shape).sort());
    expect(SyntheticWorldParams.safeParse(filled).success).toBe(true);
    expect(filled.tailExposure).not.toBe(PRESETS.small.tailExposure);
    const { preset, ...overrides } = filled;
    const { preset: p, ...given0 } = given;
    expect(resolveWorldConfig(preset, overrides)).toEqual(resolveWorldConfig(p, given0));
    expect(withPresetValues(filled)).toEqual(filled);
  });

  it('exposes ground truth without simulating logs, and validates params', () => {
    const d = dataset();
    const q = g.store.judgments[0]!;
    expect(d.trueGrade(q.query, q.itemId)).toBe(q.grade);
    expect(d.knowledge().meanings(q.query).length).toBeGreaterThan(0);
    expect(plugin.schema.parse({})).toMatchObject({ preset: 'tiny', seed: 7 });
    expect(() => plugin.schema.parse({ seeds: 3 })).toThrow();
    expect(() => plugin.schema.parse({ querySynonymRate: 2 })).toThrow();
    expect(plugin.provides).toContain('world-ground-truth');
    expect(dataset({ preset: 'small', items: 100 }).config).toMatchObject({ items: 100, users: 10_000 });
  });
});

describeDatasetConformance(plugin, { preset: 'tiny' });
