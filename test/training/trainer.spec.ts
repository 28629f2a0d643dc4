import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import hashMlp from '../../plugins/encoder/hash-mlp-encoder.ts';
import hInfoNceDescriptor from '../../plugins/loss/h-info-nce-loss.ts';
import { instantiate } from '../support/instantiate.ts';
import { useBackend } from '../support/tf.ts';
import { ToySampler, toyTask } from '../support/toy-task.ts';
import { TrainSettings } from '../../src/config/trial-config.ts';
import { TrialFailure } from '../../src/core/errors.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Loss } from '../../src/extension-points/loss.ts';
import type { Sampler } from '../../src/extension-points/sampler.ts';
import { isLogStep, train, type TrainOptions } from '../../src/training/trainer.ts';

beforeAll(async () => {
  await useBackend();
});

const task = toyTask({ items: 96 });
const encoderParams = { buckets: 4096, embDim: 16, hidden: [32], dim: 16 };

function setup(overrides: Partial<TrainSettings> = {}, seed = 1): TrainOptions & { encoder: Encoder; loss: Loss } {
  return {
    encoder: instantiate(hashMlp, encoderParams, { seed }),
    loss: instantiate(hInfoNceDescriptor, {}, { seed }),
    sampler: new ToySampler(task, 16, seed, 2),
    items: task.items,
    settings: TrainSettings.parse({ steps: 30, lr: 0.01, logEvery: 5, ...overrides }),
    lossContext: { positiveGrade: 1 },
  };
}

function teardown(o: { encoder: Encoder; loss: Loss }) {
  o.encoder.dispose();
  o.loss.dispose?.();
}

/** Mean reciprocal rank of each query's own item among all items. */
async function mrr(encoder: Encoder): Promise<number> {
  const q = await encoder.encode(task.queries, 'query');
  const d = await encoder.encode(task.items.texts, 'item');
  const dim = encoder.dim;
  const n = task.queries.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const score = (j: number) => {
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[i * dim + k]! * d[j * dim + k]!;
      return s;
    };
    const own = score(i);
    let rank = 1;
    for (let j = 0; j < n; j++) if (j !== i && score(j) > own) rank++;
    total += 1 / rank;
  }
  return total / n;
}

describe('train', () => {
  it('learns the task: the loss falls and retrieval improves', async () => {
    const o = setup({ steps: 60, lr: 0.01 });
    const before = await mrr(o.encoder);
    const result = await train(o);
    const after = await mrr(o.encoder);
    const first = result.curves.loss[0]!;
    expect(result.finalLoss).toBeLessThan(first * 0.5);
    expect(after).toBeGreaterThan(before + 0.2);
    expect(result.curves.temperature).toHaveLength(result.curves.step.length);
    expect(result.curves.step).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 59]);
    expect(result.timing.steps).toBe(60);
    expect(result.timing.msPerStep).toBeGreaterThan(0);
    teardown(o);
  });

  it('is deterministic under a seed, bit for bit, and differs across seeds', async () => {
    const runs = [];
    for (const seed of [3, 3, 4]) {
      const o = setup({ steps: 12, logEvery: 1 }, seed);
      runs.push((await train(o)).curves.loss);
      teardown(o);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).not.toEqual(runs[0]);
  });

  it('does not grow the number of live tensors across steps, and frees its own at the end', async () => {
    const o = setup({ steps: 8, gradClip: 1, weightDecay: 0.01, warmupSteps: 2, schedule: 'cosine' });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train({ ...o, onStep: () => void counts.push(tf.memory().numTensors) });
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    teardown(o);
  });

  it('reports every step with loss, learning rate and the loss stats', async () => {
    const o = setup({ steps: 4, warmupSteps: 4, lr: 0.04 });
    const seen: Array<[number, Record<string, number>]> = [];
    await train({ ...o, onStep: (step, stats) => void seen.push([step, stats]) });
    expect(seen.map(([s]) => s)).toEqual([0, 1, 2, 3]);
    expect(seen.map(([, s]) => s.lr)).toEqual([0.01, 0.02, 0.03, 0.04]);
    expect(seen.every(([, s]) => Number.isFinite(s.loss) && s.temperature! > 0)).toBe(true);
    teardown(o);
  });

  it('fails the trial, never silently, when the loss stops being finite', async () => {
    const o = setup({ steps: 10 });
    let calls = 0;
    const broken: Loss = {
      compute: (scores, grades, ctx) => {
        const l = o.loss.compute(scores, grades, ctx);
        return ++calls === 3 ? (tf.mul(l, Number.NaN) as tf.Scalar) : l;
      },
      variables: () => o.loss.variables(),
      stats: () => o.loss.stats(),
    };
    const before = tf.memory().numTensors;
    const err = await train({ ...o, loss: broken }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrialFailure);
    expect((err as TrialFailure).message).toMatch(/NaN at step 2/);
    expect((err as TrialFailure).details).toMatchObject({ step: 2, temperature: expect.any(Number) });
    expect(tf.memory().numTensors).toBe(before);
    teardown(o);
  });

  it('rejects a malformed batch with a trial failure', async () => {
    const o = setup({ steps: 2 });
    const bad: Sampler = { init: async () => {}, next: async () => ({ queries: ['a'], itemIds: Int32Array.from([0, 999]), grades: new Int32Array(2) }) };
    await expect(train({ ...o, sampler: bad })).rejects.toThrow(/names item 999/);
    teardown(o);
  });

  it('stops when the signal is aborted', async () => {
    const o = setup({ steps: 50 });
    const controller = new AbortController();
    const steps: number[] = [];
    const run = train({ ...o, signal: controller.signal, onStep: (s) => void (steps.push(s), s === 2 && controller.abort()) });
    await expect(run).rejects.toThrow(/abort/i);
    expect(steps).toEqual([0, 1, 2]);
    teardown(o);
  });

  it('logs every logEvery steps and the last', () => {
    expect([0, 1, 4, 5, 9].map((s) => isLogStep(s, { logEvery: 5, steps: 10 }))).toEqual([true, false, false, true, true]);
  });
});
