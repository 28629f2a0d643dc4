import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import { Rng } from '../../src/core/rng.ts';
import type { Loss, LossContext } from '../../src/extension-points/loss.ts';
import { instantiate } from '../support/instantiate.ts';
import type { BackendName } from '../../src/backend/tf.ts';
import { useBackend } from '../support/tf.ts';

/** Options of {@link describeLossConformance}. */
export interface LossConformanceOptions {
  /** params used to build the loss (default `{}`) */
  params?: Record<string, unknown>;
  ctx?: LossContext;
  /** backend to run on (default: the test backend, see useBackend) */
  backend?: BackendName;
}

/** Random scores in [-1, 1] and grades in -1..5 (every row keeps a grade 0 and a grade >= 1). */
function randomBatch(seed: number, Q = 6, C = 16): { scores: tf.Tensor2D; grades: tf.Tensor2D } {
  const rng = new Rng(seed);
  const scores = Float32Array.from({ length: Q * C }, () => 2 * rng.next() - 1);
  const grades = Int32Array.from({ length: Q * C }, () => rng.int(7) - 1);
  for (let q = 0; q < Q; q++) {
    grades[q * C] = 0;
    grades[q * C + 1] = 1 + rng.int(5);
  }
  return { scores: tf.tensor2d(scores, [Q, C]), grades: tf.tensor2d(grades, [Q, C], 'int32') };
}

/** Loss value and the gradients w.r.t. the scores and each of the loss's own variables. */
function lossAndGrads(loss: Loss, seed: number, ctx: LossContext) {
  const { scores, grades } = randomBatch(seed);
  const scoresVar = tf.variable(scores, true);
  const own = loss.variables();
  const { value, grads } = tf.variableGrads(() => loss.compute(scoresVar as tf.Variable<tf.Rank.R2>, grades, ctx), [scoresVar, ...own]);
  const out = {
    rank: value.rank,
    value: value.dataSync()[0]!,
    scores: grads[scoresVar.name]?.dataSync(),
    own: own.map((v) => grads[v.name]?.dataSync()),
  };
  tf.dispose([scores, grades, scoresVar, value, ...Object.values(grads)]);
  return out;
}

/**
 * The contract every `loss` plugin meets, run with one line in its spec:
 * `describeLossConformance(descriptor)`. Checks the params schema (accepts `{}`, rejects unknown
 * keys), a finite scalar on random input, gradients reaching the scores and every trainable
 * variable of the loss, no leaked tensors, and determinism under a seed.
 */
export function describeLossConformance(descriptor: PluginDescriptor<z.ZodType, Loss>, options: LossConformanceOptions = {}): void {
  const params = options.params ?? {};
  const ctx = options.ctx ?? { positiveGrade: 1 };

  describe(`loss conformance: ${descriptor.name}${options.backend ? ` on ${options.backend}` : ''}`, () => {
    beforeAll(async () => {
      await useBackend(options.backend);
    });

    it('is a loss descriptor with a kebab-case name and a summary', () => {
      expect(descriptor.kind).toBe('loss');
      expect(descriptor.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(descriptor.summary.length).toBeGreaterThan(0);
    });

    it('has a params schema that accepts {} and rejects unknown keys', () => {
      expect(descriptor.schema.safeParse({}).success).toBe(true);
      expect(descriptor.schema.safeParse({ noSuchParam: 1 }).success).toBe(false);
    });

    it('returns a finite scalar (and finite stats) on random input', () => {
      const loss = instantiate(descriptor, params);
      const out = lossAndGrads(loss, 1, ctx);
      expect(out.rank).toBe(0);
      expect(Number.isFinite(out.value)).toBe(true);
      expect(Object.values(loss.stats()).every(Number.isFinite)).toBe(true);
      loss.dispose?.();
    });

    it('sends a finite, non-zero gradient to the scores and to every trainable variable', () => {
      const loss = instantiate(descriptor, params);
      const out = lossAndGrads(loss, 2, ctx);
      const grads = [out.scores, ...out.own];
      for (const g of grads) {
        expect(g).toBeDefined();
        expect(Array.from(g!).every(Number.isFinite)).toBe(true);
        expect(Array.from(g!).some((x) => x !== 0)).toBe(true);
      }
      loss.dispose?.();
    });

    it('leaks no tensors across steps and none after dispose', () => {
      const before = tf.memory().numTensors;
      const loss = instantiate(descriptor, params);
      lossAndGrads(loss, 3, ctx);
      const afterOne = tf.memory().numTensors;
      lossAndGrads(loss, 4, ctx);
      loss.stats();
      expect(tf.memory().numTensors).toBe(afterOne);
      loss.dispose?.();
      if (loss.dispose) expect(tf.memory().numTensors).toBe(before);
    });

    it('is deterministic under a seed', () => {
      const a = instantiate(descriptor, params);
      const b = instantiate(descriptor, params);
      const ra = lossAndGrads(a, 5, ctx);
      const rb = lossAndGrads(b, 5, ctx);
      expect(rb.value).toBe(ra.value);
      expect(Array.from(rb.scores!)).toEqual(Array.from(ra.scores!));
      expect(b.stats()).toEqual(a.stats());
      a.dispose?.();
      b.dispose?.();
    });
  });
}
