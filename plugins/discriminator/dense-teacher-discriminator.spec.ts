import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container } from 'inversify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry } from '../../src/cli/registry.ts';
import { Rng } from '../../src/core/rng.ts';
import { PluginFactory } from '../../src/runner/plugin-factory.ts';
import { PluginCreator } from '../../src/core/services.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import { towerArtifacts } from '../../src/runner/save-towers.ts';
import { describeDiscriminatorConformance } from '../../test/conformance/discriminator-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import { toyLogs } from '../../test/support/toy-logs.ts';
import hashMlp from '../encoder/hash-mlp-encoder.ts';
import denseTeacher from './dense-teacher-discriminator.ts';

const encoderRef = { use: 'hash-mlp', params: { buckets: 4096, embDim: 16, hidden: [32], dim: 16, sharedTowers: false } };
// towers folders as the runner attaches them to a run: the encoder's files plus encoder.json
const towers = mkdtempSync(join(tmpdir(), 'crops-teacher-'));
let teacherEncoder: Encoder;

/** Stands in for the runner's plugin factory: only hash-mlp is known, with its own seed. */
const create: PluginCreator = <T,>(kind: string, ref: { use: string; params: unknown }): T => {
  if (kind !== 'encoder' || ref.use !== 'hash-mlp') throw new Error(`unknown ${kind} '${ref.use}'`);
  return instantiate(hashMlp, ref.params, { seed: 77 }) as T;
};
const bindCreator = (c: Container) => c.bind(PluginCreator).toConstantValue(create);

beforeAll(async () => {
  await useBackend();
  teacherEncoder = instantiate<Encoder>(hashMlp, encoderRef.params, { seed: 5 });
  for (const [path, bytes] of await towerArtifacts(teacherEncoder, encoderRef)) writeFileSync(join(towers, path.replace(/^towers\//, '')), bytes);
});

afterAll(() => teacherEncoder.dispose());

describeDiscriminatorConformance(denseTeacher, { params: { path: towers }, bind: bindCreator });

const teacherOn = async (params: object, store: LogStore = toyLogs()) => {
  const d = instantiate<Discriminator>(denseTeacher, params, { bind: bindCreator });
  await d.init!(store);
  return d;
};
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('dense-teacher discriminator', () => {
  it("scores the saved towers' cosine: query tower for logged queries, item tower for items and other texts", async () => {
    const d = await teacherOn({ path: towers, low: -1 });
    const store = toyLogs();
    const q = 'apple pie';
    const qv = await teacherEncoder.encode([q], 'query');
    const asItem = async (t: string) => (cosine(qv, await teacherEncoder.encode([t], 'item')) + 1) / 2;
    const asQuery = async (t: string) => (cosine(qv, await teacherEncoder.encode([t], 'query')) + 1) / 2;
    expect(d.score(q, store.items[4]!.text, 4)).toBeCloseTo(await asItem(store.items[4]!.text), 6);
    // 'phone repair' is a logged query, so the towers differ for it as a query and as an item
    expect(d.score(q, 'phone repair')).toBeCloseTo(await asQuery('phone repair'), 6);
    expect(d.score(q, 'phone repair')).not.toBeCloseTo(await asItem('phone repair'), 3);
    // a text no log contains is embedded on demand by the item tower
    expect(d.score(q, 'a pseudo video about baking')).toBeCloseTo(await asItem('a pseudo video about baking'), 6);
  });

  it('maps cosine low..high linearly onto 0..1 and clamps outside', async () => {
    const wide = await teacherOn({ path: towers, low: -1, high: 1 });
    const narrow = await teacherOn({ path: towers, low: 0.2, high: 0.4 });
    const plain = await teacherOn({ path: towers });
    const pairs = toyLogs().items.map((item) => ['apple', item.text, item.id] as const);
    for (const [q, t, id] of pairs) {
      const cos = 2 * wide.score(q, t, id) - 1;
      expect(plain.score(q, t, id)).toBeCloseTo(Math.max(0, cos), 6);
      expect(narrow.score(q, t, id)).toBeCloseTo(Math.min(1, Math.max(0, (cos - 0.2) / 0.2)), 6);
    }
  });

  it('says what is missing when the towers folder holds no saved run, or init was skipped', async () => {
    await expect(teacherOn({})).rejects.toThrow(/no encoder.json in .*towers; expected the towers\/ artifact folder of a run trained with train.saveTowers/);
    await expect(teacherOn({ path: mkdtempSync(join(tmpdir(), 'crops-empty-')) })).rejects.toThrow(/no encoder.json in .*crops-empty-/);
    expect(() => instantiate<Discriminator>(denseTeacher, { path: towers }, { bind: bindCreator }).score('a', 'b')).toThrow(/before init/);
    expect(denseTeacher.schema.safeParse({ low: 0.5, high: 0.5 }).success).toBe(false);
  });

  it('with train, learns its towers from the logs\' clicks in the trial: clicked pairs end far above the rest, the same seed gives the same teacher', async () => {
    const registry = await buildRegistry();
    const teacherIn = async (steps: number, seed = 3) => {
      const container = new Container();
      const factory = new PluginFactory(container, { registry, rng: new Rng(seed), cacheRoot: mkdtempSync(join(tmpdir(), 'crops-teacher-cache-')), logLevel: 'silent' });
      const d = factory.createChecked<Discriminator>('discriminator', { use: 'dense-teacher', params: { train: { encoder: encoderRef, steps, batchQueries: 2, lr: 0.05 }, low: -1 } }, 'discriminator');
      await d.init!(toyLogs());
      return d;
    };
    // the toy logs' only clicks: 'apple pie' -> item 0, 'phone repair' -> item 2
    const margin = (d: Discriminator) => {
      const items = toyLogs().items;
      return d.score('apple pie', items[0]!.text, 0) - d.score('apple pie', items[2]!.text, 2) + d.score('phone repair', items[2]!.text, 2) - d.score('phone repair', items[0]!.text, 0);
    };
    const barely = await teacherIn(1);
    const trained = await teacherIn(60);
    expect(margin(trained)).toBeGreaterThan(0.5);
    expect(margin(trained)).toBeGreaterThan(margin(barely) + 0.3);
    const again = await teacherIn(60);
    expect(again.score('apple pie', 'red apple pie', 0)).toBe(trained.score('apple pie', 'red apple pie', 0));
    const otherSeed = await teacherIn(60, 4);
    expect(otherSeed.score('apple pie', 'pie crust recipe', 4)).not.toBe(trained.score('apple pie', 'pie crust recipe', 4));
    for (const d of [barely, trained, again, otherSeed]) d.dispose!();
  });

  it('takes path or train, not both, and train needs the trial\'s training service', async () => {
    const both = denseTeacher.schema.safeParse({ path: 'x', train: { encoder: encoderRef } });
    expect(both.success).toBe(false);
    expect(both.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContain('train: give either path (saved towers) or train (learn them here), not both');
    await expect(teacherOn({ train: { encoder: encoderRef } })).rejects.toThrow(/train needs the core training service/);
  });
});
