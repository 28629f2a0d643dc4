import 'reflect-metadata';
import { Container, injectable } from 'inversify';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildRegistry } from '../cli/registry.ts';
import { TrainSettings, type TrialConfig } from '../config/trial-config.ts';
import { definePlugin } from '../core/plugin.ts';
import { Rng } from '../core/rng.ts';
import { toyLogs } from '../../test/support/toy-logs.ts';
import { MinedCache, miningKey, mineTrainingSet } from './mining.ts';
import { PluginFactory } from './plugin-factory.ts';

let mines = 0;
@injectable()
class CountingSource {
  async mine() {
    mines++;
    return { candidates: [{ query: 'apple', itemId: 0, origin: 'search-click' }] };
  }
}
const counting = definePlugin({ kind: 'positiveSource', name: 'counting', summary: 'counts its calls', schema: z.object({ k: z.number().default(1).describe('unused knob') }).strict(), implementation: CountingSource });

async function setUp() {
  const registry = await buildRegistry();
  registry.register(counting, 'test');
  const cfg = (over: Partial<TrialConfig> = {}): TrialConfig =>
    ({
      name: 't',
      seed: 1,
      dataset: { use: 'synthetic-world', params: { preset: 'tiny' } },
      positiveSource: [{ use: 'search-clicks', params: { stageNegatives: true, maxPerStage: 50 } }, { use: 'counting', params: { k: 1 } }],
      labelScheme: { use: 'hla', params: {} },
      loss: { use: 'info-nce', params: {} },
      train: TrainSettings.parse({}),
      ...over,
    }) as TrialConfig;
  const factory = () => new PluginFactory(new Container(), { registry, rng: new Rng(1), cacheRoot: mkdtempSync(join(tmpdir(), 'cache-')), logLevel: 'silent' });
  return { registry, cfg, factory };
}

describe('mining cache', () => {
  it('keys on what mining depends on, and not on the loss or labels', async () => {
    const { registry, cfg } = await setUp();
    const base = miningKey(cfg(), 1, registry);
    expect(miningKey(cfg({ loss: { use: 'h-info-nce', params: {} } }), 1, registry)).toBe(base);
    expect(miningKey(cfg({ labelScheme: { use: 'binary', params: {} } }), 1, registry)).toBe(base);
    expect(miningKey(cfg({ seed: 2 }), 1, registry)).not.toBe(base);
    expect(miningKey(cfg({ positiveSource: [cfg().positiveSource[0]!, { use: 'counting', params: { k: 2 } }] }), 1, registry)).not.toBe(base);
    expect(miningKey(cfg({ dataset: { use: 'synthetic-world', params: { preset: 'tiny', seed: 8 } } }), 1, registry)).not.toBe(base);
    expect(miningKey(cfg({ discriminator: { use: 'oracle', params: { noise: 0 } } }), 1, registry)).not.toBe(base);
    expect(miningKey(cfg(), 0, registry)).not.toBe(base);
  });

  it('mines once per key within a sweep and across runs through the disk, with equal results', async () => {
    const { registry, cfg, factory } = await setUp();
    const dir = mkdtempSync(join(tmpdir(), 'mined-'));
    const store = toyLogs();
    mines = 0;
    const cache = new MinedCache(dir);
    const first = await mineTrainingSet(cfg(), store, factory(), cache, registry, []);
    expect(first.from).toEqual(['mined', 'mined']);
    const second = await mineTrainingSet(cfg({ labelScheme: { use: 'binary', params: {} } }), store, factory(), cache, registry, []);
    expect(second.from).toEqual(['memory', 'memory']);
    expect(mines).toBe(1);
    expect(second.mined).toEqual(first.mined);
    expect(readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json'))).toHaveLength(2);

    const fresh = await mineTrainingSet(cfg(), store, factory(), new MinedCache(dir), registry, []);
    expect(fresh.from).toEqual(['disk', 'disk']);
    expect(mines).toBe(1);
    expect(fresh.data).toEqual(first.data);

    await mineTrainingSet(cfg({ seed: 3 }), store, factory(), new MinedCache(dir), registry, []);
    expect(mines).toBe(2);
  });

  it('mines again when a disk entry is unreadable', async () => {
    const { registry, cfg, factory } = await setUp();
    const dir = mkdtempSync(join(tmpdir(), 'mined-'));
    const torn = new MinedCache(dir).pathOf(miningKey(cfg(), 1, registry))!;
    mkdirSync(dirname(torn), { recursive: true });
    writeFileSync(torn, '{"key": "x", "value": {"candidates": [');
    mines = 0;
    const got = await mineTrainingSet(cfg(), toyLogs(), factory(), new MinedCache(dir), registry, []);
    expect(got.from[1]).toBe('mined');
    expect(mines).toBe(1);
  });
});
