import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import type { AdamSettings, Encoder } from '../../src/extension-points/encoder.ts';
import { instantiate } from '../support/instantiate.ts';
import { useBackend } from '../support/tf.ts';

/** Options of {@link describeEncoderConformance}. */
export interface EncoderConformanceOptions {
  /** params used to build the encoder; keep them small, the suite builds several */
  params?: Record<string, unknown>;
}

const QUERIES = ['red running shoes', 'how to fix a bike chain', 'cat videos', ''];
const ITEMS = ['Red Shoes for running, size 42', 'Bike repair: chain and gears', 'Funny cats compilation', 'cooking pasta at home'];

const ADAM: Omit<AdamSettings, 'step'> = { lr: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };

/** One SGD/Adam step that raises every query's similarity to the item at the same index. */
function alignStep(encoder: Encoder, step: number): number {
  const q = encoder.prepare(QUERIES, 'query');
  const d = encoder.prepare(ITEMS, 'item');
  const qLeaves = q.leaves.map((l) => tf.variable(l, true));
  const dLeaves = d.leaves.map((l) => tf.variable(l, true));
  const vars = [...encoder.variables(), ...qLeaves, ...dLeaves];
  const { value, grads } = tf.variableGrads(() => {
    const qe = encoder.embed({ ...q, leaves: qLeaves });
    const de = encoder.embed({ ...d, leaves: dLeaves });
    return tf.neg(tf.sum(tf.mul(qe, de))) as tf.Scalar;
  }, vars);
  const loss = value.dataSync()[0]!;
  tf.tidy(() => {
    for (const v of encoder.variables()) if (grads[v.name]) v.assign(tf.sub(v, tf.mul(grads[v.name]!, ADAM.lr)));
  });
  encoder.applySparse(q, qLeaves.map((v) => grads[v.name]!).filter(Boolean), { ...ADAM, step });
  encoder.applySparse(d, dLeaves.map((v) => grads[v.name]!).filter(Boolean), { ...ADAM, step });
  tf.dispose([value, ...Object.values(grads).filter((g): g is tf.Tensor => g != null), ...qLeaves, ...dLeaves, ...q.leaves, ...d.leaves]);
  return loss;
}

/**
 * The contract every `encoder` plugin meets, run with one line in its spec:
 * `describeEncoderConformance(descriptor, { params })`. Checks the params schema, output shapes,
 * unit-norm rows, that `embed` and `encode` agree, that a gradient step changes (and improves) the
 * outputs, determinism under a seed, and that no tensors leak.
 */
export function describeEncoderConformance(descriptor: PluginDescriptor<z.ZodType, Encoder>, options: EncoderConformanceOptions = {}): void {
  const params = options.params ?? {};

  describe(`encoder conformance: ${descriptor.name}`, () => {
    beforeAll(async () => {
      await useBackend();
    });

    it('has a params schema that accepts {} and rejects unknown keys', () => {
      expect(descriptor.kind).toBe('encoder');
      expect(descriptor.schema.safeParse({}).success).toBe(true);
      expect(descriptor.schema.safeParse({ noSuchParam: 1 }).success).toBe(false);
    });

    it('encodes to [n, dim] unit-norm rows, matching embed', async () => {
      const encoder = instantiate(descriptor, params);
      const out = await encoder.encode(ITEMS, 'item');
      expect(out.length).toBe(ITEMS.length * encoder.dim);
      for (let i = 0; i < ITEMS.length; i++) {
        const row = out.subarray(i * encoder.dim, (i + 1) * encoder.dim);
        expect(Math.hypot(...row)).toBeCloseTo(1, 4);
      }
      const input = encoder.prepare(ITEMS, 'item');
      const embedded = tf.tidy(() => encoder.embed(input).arraySync());
      tf.dispose(input.leaves);
      expect(embedded).toHaveLength(ITEMS.length);
      embedded.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(out[i * encoder.dim + j]!, 5)));
      expect(encoder.parameterCount()).toBeGreaterThan(0);
      encoder.dispose();
    });

    it('handles an empty list of texts', async () => {
      const encoder = instantiate(descriptor, params);
      expect((await encoder.encode([], 'query')).length).toBe(0);
      encoder.dispose();
    });

    it('changes its outputs along the gradient', async () => {
      const encoder = instantiate(descriptor, params);
      const before = await encoder.encode(QUERIES, 'query');
      const losses = Array.from({ length: 5 }, (_, i) => alignStep(encoder, i + 1));
      const after = await encoder.encode(QUERIES, 'query');
      expect(Array.from(after).some((x, i) => Math.abs(x - before[i]!) > 1e-4)).toBe(true);
      expect(losses.at(-1)!).toBeLessThan(losses[0]!);
      encoder.dispose();
    });

    it('is deterministic under a seed and varies with it', async () => {
      const a = instantiate(descriptor, params, { seed: 5 });
      const b = instantiate(descriptor, params, { seed: 5 });
      const c = instantiate(descriptor, params, { seed: 6 });
      alignStep(a, 1);
      alignStep(b, 1);
      alignStep(c, 1);
      const [ea, eb, ec] = await Promise.all([a.encode(ITEMS, 'item'), b.encode(ITEMS, 'item'), c.encode(ITEMS, 'item')]);
      expect(Array.from(eb)).toEqual(Array.from(ea));
      expect(Array.from(ec)).not.toEqual(Array.from(ea));
      [a, b, c].forEach((e) => e.dispose());
    });

    it('leaks no tensors across steps and none after dispose', async () => {
      const before = tf.memory().numTensors;
      const encoder = instantiate(descriptor, params);
      alignStep(encoder, 1);
      await encoder.encode(ITEMS, 'item');
      const afterOne = tf.memory().numTensors;
      alignStep(encoder, 2);
      await encoder.encode(ITEMS, 'item');
      expect(tf.memory().numTensors).toBe(afterOne);
      encoder.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
