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

/** A fixed, untrained encoder: each word hashes to a ±1 vector, a text is the normalised sum. */
export class HashedWordsEncoder implements Encoder {
  readonly dim = 16;
  prepare(_texts: string[], side: 'query' | 'item') {
    return { side, size: 0, leaves: [] };
  }
  embed(): never {
    throw new Error('inference only');
  }
  variables() {
    return [];
  }
  applySparse(): void {}
  async encode(texts: string[]): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    texts.forEach((t, i) => {
      for (const w of t.split(/\s+/)) {
        let h = 2166136261;
        for (const ch of w) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
        for (let d = 0; d < this.dim; d++) out[i * this.dim + d]! += (h >>> d) & 1 ? 1 : -1;
      }
      let norm = 0;
      for (let d = 0; d < this.dim; d++) norm += out[i * this.dim + d]! ** 2;
      for (let d = 0; d < this.dim; d++) out[i * this.dim + d]! /= Math.sqrt(norm) || 1;
    });
    return out;
  }
  parameterCount() {
    return 0;
  }
  dispose(): void {}
}

/** Every retriever over a fixed encoder: min(k, n) results, best first, no duplicates. */
export function describeRetrieverConformance(descriptor: PluginDescriptor, params: unknown = {}, makeEncoder: () => Encoder = () => new HashedWordsEncoder()): void {
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
