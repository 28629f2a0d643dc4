import { TrainSettings } from '../../src/config/trial-config.ts';
import { Rng } from '../../src/core/rng.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Loss } from '../../src/extension-points/loss.ts';
import type { Batch, ItemTexts, TrainingSet } from '../../src/extension-points/samples.ts';
import type { Sampler } from '../../src/extension-points/sampler.ts';
import { train } from '../../src/training/trainer.ts';

/** Options of {@link toyTask}. */
export interface ToyTaskOptions {
  items?: number;
  /** words per item text */
  words?: number;
  vocabulary?: number;
  seed?: number;
}

/**
 * A small retrieval task with a learnable signal: each item is a bag of random words and its query
 * is two of them, so a bag-of-words retriever can learn to rank the item above the others.
 */
export function toyTask(options: ToyTaskOptions = {}): { items: ItemTexts; queries: string[] } {
  const { items: n = 64, words = 12, vocabulary = 400, seed = 7 } = options;
  const rng = new Rng(seed);
  const vocab = Array.from({ length: vocabulary }, (_, i) => `w${i.toString(36)}x`);
  const texts: string[] = [];
  const queries: string[] = [];
  for (let i = 0; i < n; i++) {
    const bag = Array.from({ length: words }, () => rng.pick(vocab));
    texts.push(bag.join(' '));
    queries.push(`${bag[0]} ${bag[1]}`);
  }
  return { items: { texts, corpusSize: n }, queries };
}

/**
 * In-batch sampler over {@link toyTask}: per step `batchQueries` random queries, each with its own
 * item (grade `positiveGrade`) and `hardNegatives` random other items; every candidate that is not a
 * query's own is grade 0 for it. Deterministic for a seed.
 */
export class ToySampler implements Sampler {
  private readonly rng: Rng;

  constructor(
    private readonly task: { items: ItemTexts; queries: string[] },
    private readonly batchQueries: number,
    seed = 1,
    private readonly hardNegatives = 0,
    private readonly positiveGrade = 1,
  ) {
    this.rng = new Rng(seed);
  }

  async init(_data: TrainingSet): Promise<void> {}

  async next(): Promise<Batch> {
    const n = this.task.queries.length;
    const picked = this.rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, this.batchQueries);
    const ids: number[] = [...picked];
    const seen = new Set(ids);
    for (let k = 0; k < picked.length * this.hardNegatives; k++) {
      const id = this.rng.int(n);
      if (!seen.has(id)) {
        seen.add(id);
        ids.push(id);
      }
    }
    const C = ids.length;
    const grades = new Int32Array(picked.length * C);
    picked.forEach((q, row) => {
      grades[row * C + ids.indexOf(q)] = this.positiveGrade;
    });
    return { queries: picked.map((q) => this.task.queries[q]!), itemIds: Int32Array.from(ids), grades };
  }
}

/**
 * Loss and temperature curves of a short training run on {@link toyTask} (a {@link ToySampler}
 * with seed 3 and 2 hard negatives a query, a point logged every step), for backend parity checks.
 * Disposes the encoder and the loss.
 */
export async function toyCurves(
  encoder: Encoder,
  loss: Loss,
  task: { items: ItemTexts; queries: string[] },
  run: { batchQueries: number; steps: number; lr: number },
): Promise<{ loss: number[]; temperature: number[] }> {
  try {
    const result = await train({
      encoder,
      loss,
      sampler: new ToySampler(task, run.batchQueries, 3, 2),
      items: task.items,
      settings: TrainSettings.parse({ steps: run.steps, lr: run.lr, logEvery: 1 }),
      lossContext: { positiveGrade: 1 },
    });
    return { loss: result.curves.loss, temperature: result.curves.temperature ?? [] };
  } finally {
    encoder.dispose();
    loss.dispose?.();
  }
}
