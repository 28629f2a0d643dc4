import { describe, expect, it } from 'vitest';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { Dataset } from '../../src/extension-points/dataset.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import { instantiate, type InstantiateOptions } from '../support/instantiate.ts';
import { toyLogs } from '../support/toy-logs.ts';
import { descriptorChecks } from './descriptor-conformance.ts';

export interface DiscriminatorConformanceOptions extends InstantiateOptions {
  params?: unknown;
  /** the trial's dataset: bound under `Dataset`, its logs passed to `init` (default: the toy logs) */
  dataset?: () => Dataset;
}

interface Probe {
  query: string;
  text: string;
  itemId?: number;
}

/**
 * Every discriminator, built and initialised the way the runner does it: declares the trait sources
 * require, scores finite values in [0, 1], and is a pure function of its inputs (same value on a
 * repeat, in another order, from a fresh instance with the same seed).
 */
export function describeDiscriminatorConformance(descriptor: PluginDescriptor, opts: DiscriminatorConformanceOptions = {}): void {
  describe(`discriminator conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);

    const make = async (seed = opts.seed ?? 1): Promise<{ discriminator: Discriminator; store: LogStore }> => {
      const dataset = (opts.dataset ?? toyDataset)();
      const store = await dataset.load();
      const discriminator = instantiate<Discriminator>(descriptor as PluginDescriptor<never, Discriminator>, opts.params ?? {}, {
        seed,
        bind: (c) => {
          c.bind(Dataset).toConstantValue(dataset);
          opts.bind?.(c);
        },
      });
      await discriminator.init?.(store);
      return { discriminator, store };
    };
    const scoreAll = (d: Discriminator, probes: Probe[]) => probes.map((p) => d.score(p.query, p.text, p.itemId));

    it("provides the 'discriminator' trait that filtering positive sources require", () => {
      expect(descriptor.kind).toBe('discriminator');
      expect(descriptor.provides ?? []).toContain('discriminator');
    });

    it('scores item texts, other queries and odd inputs with finite values in [0, 1]', async () => {
      const { discriminator, store } = await make();
      const probes = probesFor(store);
      const scores = scoreAll(discriminator, probes);
      scores.forEach((s, i) => {
        expect(Number.isFinite(s), `score of ${JSON.stringify(probes[i])} is ${s}`).toBe(true);
        expect(s >= 0 && s <= 1, `score of ${JSON.stringify(probes[i])} is ${s}`).toBe(true);
      });
      // a discriminator that says the same thing about every pair cannot filter anything
      expect(new Set(scores).size).toBeGreaterThan(1);
    });

    it('gives equal scores for equal inputs, whatever was scored before and on a fresh instance', async () => {
      const { discriminator, store } = await make();
      const probes = probesFor(store);
      const first = scoreAll(discriminator, probes);
      expect(scoreAll(discriminator, probes)).toEqual(first);
      const { discriminator: fresh } = await make();
      expect(scoreAll(fresh, [...probes].reverse()).reverse()).toEqual(first);
    });
  });
}

/** A dataset with nothing but the hand-built toy logs. */
function toyDataset(): Dataset {
  const store = toyLogs();
  return { load: async () => store };
}

/** Pairs a source would ask about (corpus items with and without id, query pairs) plus edge cases. */
function probesFor(store: LogStore): Probe[] {
  const queries = [...new Set([...store.train.sessions, ...store.test.sessions].map((s) => s.query))].slice(0, 12);
  const items = store.items.slice(0, 12);
  const probes: Probe[] = [];
  for (const query of queries) {
    for (const item of items) probes.push({ query, text: item.text, itemId: item.id }, { query, text: item.text });
    for (const other of queries) probes.push({ query, text: other });
    probes.push({ query, text: '' }, { query, text: 'zzqx unseenword 42 ¿¡' }, { query, text: `${query} ${query} ${query}` });
  }
  probes.push({ query: '', text: items[0]?.text ?? 'x' }, { query: '!!!', text: '...' });
  return probes;
}
