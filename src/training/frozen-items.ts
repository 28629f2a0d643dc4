import { TrialFailure } from '../core/errors.ts';
import type { ItemTexts } from '../extension-points/samples.ts';
import type { Encoder } from '../extension-points/encoder.ts';

/**
 * Item embeddings of a frozen item tower, computed once per item on first use: once the tower no
 * longer changes, re-encoding a candidate every step would only repeat the same numbers.
 */
export class FrozenItemEmbeddings {
  private readonly values: Float32Array;
  private readonly known: Uint8Array;

  private constructor(
    private readonly encoder: Encoder,
    private readonly items: ItemTexts,
  ) {
    this.values = new Float32Array(items.texts.length * encoder.dim);
    this.known = new Uint8Array(items.texts.length);
  }

  /** Freezes the encoder's item tower (it must support `freeze`) and starts an empty cache. */
  static freeze(encoder: Encoder, items: ItemTexts, step: number): FrozenItemEmbeddings {
    if (!encoder.freeze) {
      throw new TrialFailure(`the sampler froze the item tower at step ${step}, but the encoder cannot freeze a tower (it has no freeze()); use an encoder that supports it, e.g. hash-mlp`, { step });
    }
    encoder.freeze('item');
    return new FrozenItemEmbeddings(encoder, items);
  }

  /** `[ids.length, dim]` row-major embeddings of the given items. */
  async lookup(ids: ArrayLike<number>): Promise<Float32Array> {
    const dim = this.encoder.dim;
    const missing = [...new Set(Array.from(ids))].filter((id) => this.known[id] === 0);
    if (missing.length > 0) {
      const emb = await this.encoder.encode(missing.map((id) => this.items.texts[id]!), 'item');
      missing.forEach((id, r) => {
        this.values.set(emb.subarray(r * dim, (r + 1) * dim), id * dim);
        this.known[id] = 1;
      });
    }
    const out = new Float32Array(ids.length * dim);
    for (let r = 0; r < ids.length; r++) out.set(this.values.subarray(ids[r]! * dim, (ids[r]! + 1) * dim), r * dim);
    return out;
  }
}
