import { describe, expect, it } from 'vitest';
import { buildClickTestSet } from '../../../src/eval/test-sets.ts';
import { SyntheticWorldDataset, SyntheticWorldParams } from '../synthetic-world-dataset.ts';
import { describeWorld } from './describe.ts';

describe('synthetic-world never-shown diagnostics', () => {
  it('equal a direct count over the raw logs', () => {
    const g = new SyntheticWorldDataset(SyntheticWorldParams.parse({ items: 800, users: 300, sessionsPerDay: 400 })).generate();
    const diag = new Map(describeWorld(g).map((d) => [d.key, d.value]));
    const { train, test } = g.store;
    // CT positives: every (test query, clicked item); never shown: no train session of that query showed it
    const testQuery = new Map(test.sessions.map((s) => [s.sessionId, s.query]));
    const trainQuery = new Map(train.sessions.map((s) => [s.sessionId, s.query]));
    const pairs = new Set(test.impressions.filter((i) => i.clicked).map((i) => `${testQuery.get(i.sessionId)}\u0000${i.itemId}`));
    const shownPairs = new Set(train.impressions.filter((i) => i.stage === 'shown').map((i) => `${trainQuery.get(i.sessionId)}\u0000${i.itemId}`));
    const shownItems = new Set(train.impressions.filter((i) => i.stage === 'shown').map((i) => i.itemId));
    expect(buildClickTestSet(test).queries.length).toBeGreaterThan(50);
    const never = [...pairs].filter((p) => !shownPairs.has(p)).length / pairs.size;
    const nowhere = [...pairs].filter((p) => !shownItems.has(Number(p.split('\u0000')[1]))).length / pairs.size;
    expect(diag.get('ctNeverShownShare')).toBeCloseTo(never, 4);
    expect(diag.get('ctNeverShownAnywhereShare')).toBeCloseTo(nowhere, 4);
    // judged: grade >= 2 positives of the qrels
    const judgedPairs = g.store.judgments.filter((j) => j.grade >= 2);
    const judgedNever = judgedPairs.filter((j) => !shownPairs.has(`${j.query}\u0000${j.itemId}`)).length / judgedPairs.length;
    expect(diag.get('judgedNeverShownShare')).toBeCloseTo(judgedNever, 4);
    for (const key of ['qrNeverShownShare', 'qrNeverShownAnywhereShare']) {
      expect(diag.get(key)).toBeGreaterThanOrEqual(0);
      expect(diag.get(key)).toBeLessThanOrEqual(1);
    }
  });
});
