import { describe, expect, it } from 'vitest';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import type { Dataset } from '../../src/extension-points/dataset.ts';
import type { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import type { PositiveSource } from '../../src/extension-points/positive-source.ts';
import type { Sampler, SamplerContext } from '../../src/extension-points/sampler.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { instantiate, type InstantiateOptions } from '../support/instantiate.ts';
import { toyLogs, toyTrainingSet } from '../support/toy-logs.ts';
import { descriptorChecks } from './descriptor-conformance.ts';

/** Every dataset: deterministic, dense item ids, impressions and judgments that point at real rows. */
export function describeDatasetConformance(descriptor: PluginDescriptor, params: unknown = {}): void {
  describe(`dataset conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    it('loads the same logs twice, with consistent references', async () => {
      const a = await instantiate<Dataset>(descriptor as PluginDescriptor<never, Dataset>, params).load();
      const b = await instantiate<Dataset>(descriptor as PluginDescriptor<never, Dataset>, params).load();
      expect(a.items.length).toBeGreaterThan(0);
      expect(JSON.stringify(a.train.impressions.slice(0, 200))).toBe(JSON.stringify(b.train.impressions.slice(0, 200)));
      expect(a.items.every((item, i) => item.id === i)).toBe(true);
      for (const split of [a.train, a.test]) {
        const sessions = new Set(split.sessions.map((s) => s.sessionId));
        for (const imp of split.impressions) {
          expect(sessions.has(imp.sessionId)).toBe(true);
          expect(imp.itemId).toBeLessThan(a.items.length);
        }
      }
      const lastTrain = Math.max(...a.train.sessions.map((s) => s.tsMs));
      const firstTest = Math.min(...a.test.sessions.map((s) => s.tsMs));
      expect(firstTest).toBeGreaterThan(lastTrain);
      for (const j of a.judgments) expect(j.grade >= 0 && j.grade <= 3 && j.itemId < a.items.length).toBe(true);
    });
  });
}

/** Every positive source: candidates name train queries and real items; mining is deterministic and read-only. */
export function describePositiveSourceConformance(descriptor: PluginDescriptor, opts: InstantiateOptions & { params?: unknown; logs?: () => LogStore } = {}): void {
  describe(`positiveSource conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    it('mines candidates that point at train queries and corpus items, the same way twice', async () => {
      const logs = (opts.logs ?? toyLogs)();
      const before = JSON.stringify(logs);
      const make = () => instantiate<PositiveSource>(descriptor as PluginDescriptor<never, PositiveSource>, opts.params ?? {}, opts);
      const first = await make().mine(logs);
      const second = await make().mine(logs);
      expect(JSON.stringify(first)).toBe(JSON.stringify(second));
      expect(JSON.stringify(logs)).toBe(before);
      const queries = new Set(logs.train.sessions.map((s) => s.query));
      for (const c of first.candidates) {
        expect(queries.has(c.query)).toBe(true);
        expect(Number.isInteger(c.itemId) && c.itemId >= 0 && c.itemId < logs.items.length).toBe(true);
        expect(typeof c.origin).toBe('string');
      }
    });
  });
}

const ORIGINS = ['search-click', 'shown-not-clicked', 'ranked-not-shown', 'prerank-filtered', 'reformulation', 'feed', 'llm'];

/** Every label scheme: integer grades, a click is a positive, unknown origins are dropped or graded. */
export function describeLabelSchemeConformance(descriptor: PluginDescriptor, params: unknown = {}): void {
  describe(`labelScheme conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    it('grades origins with non-negative integers and counts a search click as a positive', () => {
      const scheme = instantiate<LabelScheme>(descriptor as PluginDescriptor<never, LabelScheme>, params);
      expect(Number.isInteger(scheme.positiveGrade) && scheme.positiveGrade >= 1).toBe(true);
      for (const o of ORIGINS) {
        const g = scheme.grade(o);
        if (g !== undefined) expect(Number.isInteger(g) && g >= 0).toBe(true);
      }
      expect(scheme.grade('search-click')!).toBeGreaterThanOrEqual(scheme.positiveGrade);
    });
  });
}

/**
 * Every sampler: well-formed batches over the training set, reproducible under a seed. Samplers
 * that mine with the model get the rest of their context (`encode`, `steps`) from `context`.
 */
export function describeSamplerConformance(
  descriptor: PluginDescriptor,
  params: unknown = {},
  context: () => Omit<SamplerContext, 'batchQueries'> = () => ({}),
): void {
  describe(`sampler conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    const draw = async (seed: number) => {
      const sampler = instantiate<Sampler>(descriptor as PluginDescriptor<never, Sampler>, params, { seed });
      const data = toyTrainingSet();
      await sampler.init(data, { ...context(), batchQueries: 2 });
      return [await sampler.next(1), await sampler.next(2), await sampler.next(3)];
    };
    it('returns [Q, C] grades over in-range candidates with a positive in every row', async () => {
      const data = toyTrainingSet();
      for (const batch of await draw(1)) {
        const c = batch.itemIds.length;
        expect(batch.queries.length).toBe(2);
        expect(batch.grades.length).toBe(2 * c);
        expect(new Set(batch.itemIds).size).toBe(c);
        for (const id of batch.itemIds) expect(id >= 0 && id < data.items.texts.length).toBe(true);
        for (let q = 0; q < 2; q++) {
          const row = Array.from(batch.grades.slice(q * c, (q + 1) * c));
          expect(Math.max(...row)).toBeGreaterThan(0);
          expect(Math.min(...row)).toBeGreaterThanOrEqual(-1);
        }
      }
    });
    it('is deterministic under a seed', async () => {
      expect(JSON.stringify(await draw(3))).toBe(JSON.stringify(await draw(3)));
    });
  });
}
