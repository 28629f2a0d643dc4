import { beforeAll, describe, expect, it } from 'vitest';
import { describeSamplerConformance } from '../../test/conformance/data-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import { hashMlpContext, VectorWorld } from '../../test/support/vector-world.ts';
import plugin, { TriSamplerSampler, triangleWeights } from './trisampler-sampler.ts';

beforeAll(async () => {
  await useBackend();
});

const degrees = (cos: number) => (Math.acos(Math.min(1, Math.max(-1, cos))) * 180) / Math.PI;

/** Over two epochs of one-query batches: every sampled negative's angle gap to the query's positive. */
async function sampledGaps(world: VectorWorld, params: Record<string, unknown>): Promise<number[]> {
  const s = instantiate<TriSamplerSampler>(plugin, { candidatesPerQuery: 1, topK: 20, negatives: 3, refreshEvery: 1000, ...params }, { seed: 9 });
  await s.init(world.data, { batchQueries: 1, encode: world.encode });
  const gaps: number[] = [];
  for (let step = 0; step < 2 * world.queries; step++) {
    const b = await s.next(step);
    const query = b.queries[0]!;
    const qi = Number(query.slice(1));
    const anchor = degrees(world.score(query, `item ${qi}`));
    for (const id of b.itemIds) {
      if (id === qi) continue;
      expect(world.top(qi, 20)).toContain(id);
      gaps.push(Math.abs(anchor - degrees(world.score(query, `item ${id}`))));
    }
  }
  return gaps;
}

describe('trisampler sampler', () => {
  it('samples negatives only inside the angle bound around the positive', async () => {
    const world = new VectorWorld(80, 16, 3, 4);
    const bounded = await sampledGaps(world, { angleBound: 15 });
    expect(bounded.length).toBeGreaterThan(0);
    for (const gap of bounded) expect(gap).toBeLessThanOrEqual(15 + 1e-3);
    // without the bound the same pools do yield negatives outside it, so the bound is doing the work
    const open = await sampledGaps(world, { angleBound: 180 });
    expect(open.some((gap) => gap > 15 + 1e-3)).toBe(true);
  });

  it('weights candidates by closeness to the positive’s score, zero outside the bound', () => {
    const w = triangleWeights(0.5, [0.5, 0.4, 0.1, -0.9], 60, 0.1);
    expect(w[0]).toBeCloseTo(1);
    expect(w[0]!).toBeGreaterThan(w[1]!);
    expect(w[1]!).toBeGreaterThan(w[2]!);
    // cos 0.5 = 60°, cos -0.9 ≈ 154°: a gap of about 94° lies outside a 60° bound
    expect(w[3]).toBe(0);
    expect(triangleWeights(0.5, [-0.9], 100, 0.1)[0]).toBeGreaterThan(0);
  });
});

describeSamplerConformance(plugin, { refreshEvery: 2 }, hashMlpContext());
