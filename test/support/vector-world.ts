import hashMlp from '../../plugins/encoder/hash-mlp-encoder.ts';
import { Rng } from '../../src/core/rng.ts';
import type { TrainingSet } from '../../src/extension-points/samples.ts';
import type { Encoder, Side } from '../../src/extension-points/encoder.ts';
import type { SamplerContext } from '../../src/extension-points/sampler.ts';
import { instantiate } from './instantiate.ts';

/**
 * A corpus whose "model" is a lookup table of random unit vectors, for testing samplers that mine
 * with the encoder: the test knows every score, and `redraw` stands in for a training update.
 * Query `q<i>` has item `i` as its only positive (grade 1).
 */
export class VectorWorld {
  readonly data: TrainingSet;
  /** number of texts encoded so far, per side */
  readonly encoded: Record<Side, number> = { query: 0, item: 0 };
  private table = new Map<string, Float32Array>();

  constructor(
    readonly items: number,
    readonly queries: number,
    readonly dim: number,
    seed: number,
  ) {
    const texts = Array.from({ length: items }, (_, i) => `item ${i}`);
    const lists = Array.from({ length: queries }, (_, i) => ({ query: `q${i}`, itemIds: [i], grades: [1] }));
    this.data = { items: { texts, corpusSize: items }, lists, originCounts: {}, gradeCounts: {} };
    this.redraw(seed);
  }

  /** New vectors for every text. */
  redraw(seed: number): void {
    const rng = new Rng(seed);
    const unit = () => {
      const v = Float32Array.from({ length: this.dim }, () => rng.normal());
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    };
    this.table = new Map([...this.data.items.texts, ...this.data.lists.map((l) => l.query)].map((t) => [t, unit()]));
  }

  readonly encode = async (texts: string[], side: Side): Promise<Float32Array> => {
    this.encoded[side] += texts.length;
    const out = new Float32Array(texts.length * this.dim);
    texts.forEach((t, i) => out.set(this.table.get(t)!, i * this.dim));
    return out;
  };

  /** Cosine of two texts under the current vectors. */
  score(a: string, b: string): number {
    const x = this.table.get(a)!;
    const y = this.table.get(b)!;
    return x.reduce((s, v, j) => s + v * y[j]!, 0);
  }

  /** The `k` best corpus items for query `qi` other than its positive, best first. */
  top(qi: number, k: number): number[] {
    return Array.from({ length: this.items }, (_, i) => i)
      .filter((i) => i !== qi)
      .map((i) => ({ i, s: this.score(`q${qi}`, `item ${i}`) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .slice(0, k)
      .map((e) => e.i);
  }
}

/** Sampler context over a real (untrained) hash-mlp encoder, for the sampler conformance suite. */
export function hashMlpContext(steps = 4): () => Omit<SamplerContext, 'batchQueries'> {
  let encoder: Encoder | undefined;
  return () => {
    encoder ??= instantiate<Encoder>(hashMlp, { buckets: 1024, embDim: 8, hidden: [16], dim: 8 });
    const enc = encoder;
    return { steps, encode: (texts, side) => enc.encode(texts, side) };
  };
}
