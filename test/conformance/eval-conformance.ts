import { describe, expect, it } from 'vitest';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Metric } from '../../src/extension-points/metric.ts';
import type { Retriever } from '../../src/extension-points/retriever.ts';
import { instantiate } from '../support/instantiate.ts';
import { useBackend } from '../support/tf.ts';
import { descriptorChecks } from './descriptor-conformance.ts';

/** Every metric: in [0, 1], 1 for an ideal ranking, 0 when nothing relevant is retrieved. */
export function describeMetricConformance(descriptor: PluginDescriptor): void {
  describe(`metric conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    it('scores an ideal ranking 1, a useless one 0, anything in between within [0, 1]', () => {
      const metric = instantiate<Metric>(descriptor as PluginDescriptor<never, Metric>);
      const relevant = new Map([
        [3, 3],
        [7, 1],
      ]);
      expect(metric.score([3, 7, 1, 2], relevant, 4)).toBeCloseTo(1, 12);
      expect(metric.score([1, 2, 4, 5], relevant, 4)).toBe(0);
      const mid = metric.score([1, 7, 3, 2], relevant, 4);
      expect(mid).toBeGreaterThan(0);
      expect(mid).toBeLessThanOrEqual(1);
      expect(metric.label(10)).toMatch(/@10$/);
    });
  });
}

/** Every retriever over a fixed encoder: min(k, n) results, best first, matching brute force. */
export function describeRetrieverConformance(descriptor: PluginDescriptor, makeEncoder: () => Encoder, params: unknown = {}): void {
  describe(`retriever conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    it('returns min(k, corpus) items in descending score order', async () => {
      await useBackend();
      const retriever = instantiate<Retriever>(descriptor as PluginDescriptor<never, Retriever>, params);
      const items = Array.from({ length: 37 }, (_, id) => ({ id, text: `item ${id} word${id % 5}` }));
      await retriever.build(items, makeEncoder());
      for (const k of [1, 10, 100]) {
        const [r] = await retriever.search(['word3 item'], k);
        expect(r!.itemIds.length).toBe(Math.min(k, items.length));
        for (let i = 1; i < r!.scores.length; i++) expect(r!.scores[i - 1]!).toBeGreaterThanOrEqual(r!.scores[i]!);
        expect(new Set(r!.itemIds).size).toBe(r!.itemIds.length);
      }
      retriever.dispose?.();
    });
  });
}
