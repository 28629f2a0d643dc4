import { beforeAll, describe, expect, it } from 'vitest';
import hashMlp from '../../plugins/encoder/hash-mlp-encoder.ts';
import transformer from '../../plugins/encoder/transformer-encoder.ts';
import hInfoNceDescriptor from '../../plugins/loss/h-info-nce-loss.ts';
import { instantiate } from '../support/instantiate.ts';
import { useBackend } from '../support/tf.ts';
import { ToySampler, toyTask } from '../support/toy-task.ts';
import { TrainSettings } from '../../src/config/trial-config.ts';
import { TrialFailure } from '../../src/core/errors.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Loss } from '../../src/extension-points/loss.ts';
import { train, type SelectionOptions, type TrainOptions } from '../../src/training/trainer.ts';

beforeAll(async () => {
  await useBackend();
});

const task = toyTask({ items: 96 });
const encoders = {
  'hash-mlp': () => instantiate<Encoder>(hashMlp, { buckets: 4096, embDim: 16, hidden: [32], dim: 16 }, { seed: 1 }),
  transformer: () => instantiate<Encoder>(transformer, { buckets: 1024, dim: 16, heads: 2, ffnDim: 32, maxLen: 12, layers: 1 }, { seed: 1 }),
};

function setup(encoder: Encoder, steps: number): TrainOptions & { loss: Loss } {
  return {
    encoder,
    loss: instantiate(hInfoNceDescriptor, {}, { seed: 1 }),
    sampler: new ToySampler(task, 16, 1, 2),
    items: task.items,
    settings: TrainSettings.parse({ steps, lr: 0.01, logEvery: 5 }),
    lossContext: { positiveGrade: 1 },
  };
}

/** Both towers' outputs on the toy task: what the weights retrieve with. */
async function snapshot(encoder: Encoder): Promise<Float32Array[]> {
  return [await encoder.encode(task.queries, 'query'), await encoder.encode(task.items.texts, 'item')];
}

/**
 * A selection whose dev scores are scripted per scoring (so the peak is known in advance), recording
 * the towers' outputs at every scoring.
 */
function scripted(scores: number[], every: number, patience: number, minDelta = 0): SelectionOptions & { seen: Map<number, Float32Array[]>; encoder?: Encoder } {
  const seen = new Map<number, Float32Array[]>();
  const selection = {
    every,
    patience,
    minDelta,
    seen,
    encoder: undefined as Encoder | undefined,
    score: async (stepsDone: number) => {
      seen.set(stepsDone, await snapshot(selection.encoder!));
      return scores[seen.size - 1] ?? 0;
    },
  };
  return selection;
}

describe('model selection in the trainer', () => {
  for (const [name, make] of Object.entries(encoders)) {
    it(`${name}: restores the weights of the best dev score, not the last`, async () => {
      const o = setup(make(), 40);
      // peaks at the second scoring (step 20), then falls; patience outlasts the run
      const selection = scripted([0.2, 0.6, 0.5, 0.4], 10, 10);
      selection.encoder = o.encoder;
      const result = await train({ ...o, selection });
      expect(result.selection).toMatchObject({ bestStep: 20, bestScore: 0.6, stepsRun: 40, stoppedEarly: false });
      expect(result.selection!.curve).toEqual([
        { step: 10, value: 0.2 },
        { step: 20, value: 0.6 },
        { step: 30, value: 0.5 },
        { step: 40, value: 0.4 },
      ]);
      const after = await snapshot(o.encoder);
      expect(after).toEqual(selection.seen.get(20));
      // the weights did move after the peak, so restoring was needed
      expect(selection.seen.get(40)).not.toEqual(selection.seen.get(20));
      o.encoder.dispose();
      o.loss.dispose?.();
    });
  }

  it('stops after `patience` scores without improvement and keeps the best weights', async () => {
    const o = setup(encoders['hash-mlp'](), 100);
    const selection = scripted([0.3, 0.5, 0.45, 0.5, 0.7, 0.9], 10, 2);
    selection.encoder = o.encoder;
    const steps: number[] = [];
    const result = await train({ ...o, selection, onStep: (s) => void steps.push(s) });
    // 0.45 and then 0.5 (equal, not better) do not beat 0.5: two strikes stop training at step 40
    expect(result.selection).toMatchObject({ bestStep: 20, bestScore: 0.5, stepsRun: 40, stoppedEarly: true });
    expect(steps).toHaveLength(40);
    expect(result.timing.steps).toBe(40);
    // the loss curve ends at the step training stopped at (0-based 39), not at the last multiple of logEvery
    expect(result.curves.step.slice(-2)).toEqual([35, 39]);
    expect(await snapshot(o.encoder)).toEqual(selection.seen.get(20));
    o.encoder.dispose();
  });

  it('counts an improvement only above minDelta, and never a NaN score', async () => {
    const o = setup(encoders['hash-mlp'](), 50);
    const selection = scripted([Number.NaN, 0.4, 0.45, 0.41, 0.6], 10, 2, 0.1);
    selection.encoder = o.encoder;
    const result = await train({ ...o, selection });
    // NaN is a strike; 0.4 is the first best; 0.45 and 0.41 are within minDelta: stopped at step 40
    expect(result.selection).toMatchObject({ bestStep: 20, bestScore: 0.4, stepsRun: 40, stoppedEarly: true });
    o.encoder.dispose();
  });

  it('scores after the last step even when it is not a multiple of `every`', async () => {
    const o = setup(encoders['hash-mlp'](), 25);
    const selection = scripted([0.1, 0.2, 0.3], 10, 5);
    selection.encoder = o.encoder;
    const result = await train({ ...o, selection });
    expect(result.selection!.curve.map((p) => p.step)).toEqual([10, 20, 25]);
    expect(result.selection).toMatchObject({ bestStep: 25, stepsRun: 25 });
    o.encoder.dispose();
  });

  it('trains the same steps with or without selection up to where selection stops', async () => {
    const plain = setup(encoders['hash-mlp'](), 20);
    const free = await train(plain);
    const o = setup(encoders['hash-mlp'](), 20);
    const selection = scripted([0.1, 0.2], 10, 5);
    selection.encoder = o.encoder;
    const selected = await train({ ...o, selection });
    // scoring reads the encoder without changing it or any random stream
    expect(selected.curves.loss).toEqual(free.curves.loss);
    expect(await snapshot(o.encoder)).toEqual(await snapshot(plain.encoder));
    plain.encoder.dispose();
    o.encoder.dispose();
  });

  it('refuses an encoder that cannot save and load its weights', async () => {
    const o = setup(encoders['hash-mlp'](), 10);
    const bare: Encoder = new Proxy(o.encoder, { get: (t, k) => (k === 'save' || k === 'load' ? undefined : Reflect.get(t, k, t)) });
    const err = await train({ ...o, encoder: bare, selection: scripted([0.1], 5, 1) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrialFailure);
    expect((err as Error).message).toMatch(/train\.select needs an encoder that can save and load/);
    o.encoder.dispose();
  });
});
