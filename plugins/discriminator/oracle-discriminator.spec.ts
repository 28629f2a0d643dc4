import { beforeAll, describe, expect, it } from 'vitest';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { Dataset } from '../../src/extension-points/dataset.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import { describeDiscriminatorConformance } from '../../test/conformance/discriminator-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { toyLogs } from '../../test/support/toy-logs.ts';
import { SyntheticWorldDataset, SyntheticWorldParams } from '../dataset/synthetic-world-dataset.ts';
import oracle from './oracle-discriminator.ts';

// one world per file, shared like the runner shares a sweep's dataset between trials
const world = new SyntheticWorldDataset(SyntheticWorldParams.parse({ preset: 'tiny' }));
const oracleOn = (params: object = {}, seed = 1) =>
  instantiate<Discriminator>(oracle, params, { seed, bind: (c) => c.bind(Dataset).toConstantValue(world) });

describeDiscriminatorConformance(oracle, { dataset: () => world });

describe('oracle discriminator', () => {
  let store: LogStore;
  beforeAll(async () => {
    store = await world.load();
  });

  it('scores exactly grade / 3 without noise: true grade for items, the topic model for texts', () => {
    const d = oracleOn({ noise: 0 });
    const seen = new Set<number>();
    for (const j of store.judgments.slice(0, 400)) {
      const text = store.items[j.itemId]!.text;
      expect(d.score(j.query, text, j.itemId)).toBe(world.trueGrade(j.query, j.itemId) / 3);
      expect(d.score(j.query, text)).toBe(world.knowledge().textGrade(j.query, text) / 3);
      seen.add(d.score(j.query, text, j.itemId));
    }
    // the sample covers every grade, so the equalities above are not all 0 === 0
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1 / 3, 2 / 3, 1]);
  });

  it('ranks relevant judged items above irrelevant ones despite the default noise', () => {
    const d = oracleOn();
    const byGrade: number[][] = [[], [], [], []];
    for (const j of store.judgments) byGrade[j.grade]!.push(d.score(j.query, store.items[j.itemId]!.text, j.itemId));
    const kept = byGrade.map((scores) => scores.filter((s) => s > 0.6).length / scores.length);
    // at the paper's 0.6 threshold: grade 3 nearly always kept, grade 2 mostly, grades 0-1 almost never
    expect(kept[3]).toBeGreaterThan(0.99);
    expect(kept[2]).toBeGreaterThan(0.6);
    expect(kept[2]).toBeLessThan(0.9);
    expect(kept[1]).toBeLessThan(0.02);
    expect(kept[0]).toBe(0);
    // probability that a random relevant (grade >= 2) pair outscores a random irrelevant one
    const relevant = [...byGrade[2]!, ...byGrade[3]!];
    let wins = 0;
    for (const r of relevant) for (const n of byGrade[0]!) wins += r > n ? 1 : r === n ? 0.5 : 0;
    expect(wins / (relevant.length * byGrade[0]!.length)).toBeGreaterThan(0.97);
  });

  it('adds zero-mean noise with the configured spread, drawn per pair and per trial seed', () => {
    const pairs = store.judgments.filter((j) => j.grade === 1 || j.grade === 2);
    const residuals = (noise: number, seed: number) => {
      const d = oracleOn({ noise }, seed);
      return pairs.map((j) => d.score(j.query, store.items[j.itemId]!.text, j.itemId) - j.grade / 3);
    };
    const r = residuals(0.05, 1);
    const mean = r.reduce((s, x) => s + x, 0) / r.length;
    const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / r.length);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(sd).toBeGreaterThan(0.045);
    expect(sd).toBeLessThan(0.055);
    expect(residuals(0.05, 1)).toEqual(r);
    const other = residuals(0.05, 2);
    expect(other.filter((x, i) => x !== r[i]).length).toBeGreaterThan(0.99 * r.length);
  });

  it('refuses a dataset without ground truth at construction, naming the alternative', () => {
    const logsOnly: Dataset = { load: async () => toyLogs() };
    expect(() => instantiate<Discriminator>(oracle, {}, { bind: (c) => c.bind(Dataset).toConstantValue(logsOnly) })).toThrow(/no ground truth.*lexical/);
    expect(oracle.requires?.map((r) => r.trait)).toEqual(['world-ground-truth']);
  });
});
