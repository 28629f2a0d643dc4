import { describe, expect, it } from 'vitest';
import { EvalSettings, QrSettings } from '../src/config/trial-config.ts';
import { buildReformulationTestSet, buildTestSets } from '../src/eval/test-sets.ts';
import type { Dataset } from '../src/extension-points/dataset.ts';
import { neverShownParams, testSetOptions } from '../src/runner/test-set-setup.ts';
import { SyntheticWorldDataset, SyntheticWorldParams } from '../plugins/dataset/synthetic-world-dataset.ts';

const dataset = new SyntheticWorldDataset(SyntheticWorldParams.parse({ items: 800, users: 300, sessionsPerDay: 600 }));
const pairs = (byQuery: Map<string, Map<number, number>>) => [...byQuery.values()].reduce((n, items) => n + items.size, 0);

describe('test sets of a trial', () => {
  it('build QR with the ground-truth checks on items and query pairs, as eval.qr sets them', async () => {
    const store = await dataset.load();
    const world = dataset.getWorld();
    const qr = buildTestSets(store, testSetOptions(dataset, undefined)).get('qr')!;
    const direct = buildReformulationTestSet(store.test, { relevanceOf: (q, i) => world.trueGrade(q, i), querySimilarityOf: (q, r) => world.textGrade(q, r), threshold: 0.6, querySimilarity: 0.6 });
    expect(pairs(qr.byQuery)).toBeGreaterThan(20);
    expect(qr.byQuery).toEqual(direct.byQuery);
    // no query pair has a similarity grade / 3 above 1, so nothing is left
    expect(buildTestSets(store, testSetOptions(dataset, QrSettings.parse({ querySimilarity: 1 }))).get('qr')!.queries).toEqual([]);
    expect(pairs(buildTestSets(store, testSetOptions(dataset, QrSettings.parse({ windowSeconds: 10 }))).get('qr')!.byQuery)).toBeLessThan(pairs(qr.byQuery));
    expect(pairs(buildTestSets(store, testSetOptions(dataset, QrSettings.parse({ threshold: 0.9 }))).get('qr')!.byQuery)).toBeLessThan(pairs(qr.byQuery));
  });

  it('leave the ground-truth checks out for a dataset without ground truth', () => {
    const logsOnly: Dataset = { load: () => dataset.load() };
    const opts = testSetOptions(logsOnly, undefined);
    expect(opts.relevanceOf).toBeUndefined();
    expect(opts.querySimilarityOf).toBeUndefined();
  });

  it('keep the hash of configs without eval.qr, and fill the paper defaults when it is given', () => {
    expect(EvalSettings.parse({}).qr).toBeUndefined();
    expect(EvalSettings.parse({ qr: {} }).qr).toEqual({ windowSeconds: 90, threshold: 0.6, querySimilarity: 0.6 });
    expect(() => EvalSettings.parse({ qr: { querySimilarity: 2 } })).toThrow();
  });

  it('log the never-shown share of each evaluated set, the dev set aside', async () => {
    const store = await dataset.load();
    const sets = buildTestSets(store, testSetOptions(dataset, undefined));
    sets.set('dev', { ...sets.get('ct')!, name: 'dev' });
    const params = neverShownParams(store, sets, new Set(['ct', 'judged', 'dev']));
    expect(Object.keys(params).sort()).toEqual(
      ['ct', 'judged'].flatMap((s) => [`testset.${s}.never_shown_anywhere_share`, `testset.${s}.never_shown_share`, `testset.${s}.positives`]).sort(),
    );
    const share = Number(params['testset.ct.never_shown_share']);
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(1);
  });
});
