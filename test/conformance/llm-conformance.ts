import { describe, expect, it } from 'vitest';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import type { Llm, LlmRequest } from '../../src/extension-points/llm.ts';
import { instantiate, type InstantiateOptions } from '../support/instantiate.ts';
import { descriptorChecks } from './descriptor-conformance.ts';

export interface LlmConformanceOptions extends InstantiateOptions {
  /** params, or a function giving them once the test runs (e.g. a local server's URL) */
  params?: unknown | (() => unknown);
  /** queries the provider can answer (default: one made-up query) */
  queries?: string[];
  /** whether equal requests must give equal texts from a fresh instance (false for live models) */
  deterministic?: boolean;
}

/**
 * Every LLM provider: declares the `llm` trait, returns exactly n non-empty strings for a query it
 * can answer, nothing for n = 0, and (when deterministic) equal texts for equal requests from a
 * fresh instance, whatever was asked before.
 */
export function describeLlmConformance(descriptor: PluginDescriptor, opts: LlmConformanceOptions = {}): void {
  describe(`llm conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    const make = () => {
      const params = typeof opts.params === 'function' ? (opts.params as () => unknown)() : (opts.params ?? {});
      return instantiate<Llm>(descriptor as PluginDescriptor<never, Llm>, params, opts);
    };
    const queries = opts.queries ?? ['cheap pasta recipe'];
    const request = (query: string, n: number): LlmRequest => ({ prompt: `Write a pseudo-video for: ${query}`, query, n, temperature: 0.7 });

    it('provides the llm trait sources require', () => {
      expect(descriptor.kind).toBe('llm');
      expect(descriptor.provides ?? []).toContain('llm');
    });

    it('returns n non-empty strings per request, and none for n = 0', async () => {
      const llm = make();
      for (const query of queries) {
        const texts = await llm.generate(request(query, 3));
        expect(texts).toHaveLength(3);
        for (const t of texts) expect(typeof t === 'string' && t.trim().length > 0).toBe(true);
      }
      expect(await llm.generate(request(queries[0]!, 0))).toEqual([]);
      const stats = llm.stats?.() ?? {};
      for (const v of Object.values(stats)) expect(Number.isFinite(v)).toBe(true);
    });

    if (opts.deterministic ?? true) {
      it('gives equal texts for equal requests, whatever was asked before', async () => {
        const a = make();
        const first = await a.generate(request(queries[0]!, 2));
        const b = make();
        for (const q of queries.slice(1)) await b.generate(request(q, 2));
        expect(await b.generate(request(queries[0]!, 2))).toEqual(first);
      });
    }
  });
}
