import type * as tf from '@tensorflow/tfjs-core';
import type { AdamSettings, Side } from '../../src/extension-points/encoder.ts';
import type { Network, Tower } from './tower-checkpoint.ts';

/** A dense network that can be copied (trainable or frozen), sized and freed. */
export interface TowerNetwork<N> extends Network {
  copy(trainable: boolean): N;
  parameterCount(): number;
  dispose(): void;
}

/**
 * The query and item towers of an encoder built as "host-side token table + dense network"
 * (`hash-mlp`, `transformer`), shared or separate, with what they have in common: which variables
 * train, the sparse table update, freezing one side (ADORE), size and disposal. With shared
 * towers, freezing a side first gives it its own copy of the table and network, so the other side
 * keeps training the originals.
 */
export class TowerPair<N extends TowerNetwork<N>> {
  readonly towers: Record<Side, Tower<N>>;
  private readonly frozen = new Set<Side>();

  /** `item` undefined: one tower serves both sides */
  constructor(query: Tower<N>, item: Tower<N> | undefined) {
    this.towers = { query, item: item ?? query };
  }

  get shared(): boolean {
    return this.towers.query === this.towers.item;
  }

  /** dense variables the optimiser updates: a frozen side's are left out */
  variables(): tf.Variable[] {
    if (this.shared) return this.towers.query.net.variables();
    return (['query', 'item'] as const).filter((side) => !this.frozen.has(side)).flatMap((side) => this.towers[side].net.variables());
  }

  /** lazy Adam on the table rows a batch read; a frozen side ignores its gradients */
  applySparse(side: Side, offsets: Int32Array, ids: Int32Array, grad: tf.Tensor | undefined, adam: AdamSettings): void {
    if (grad === undefined || this.frozen.has(side)) return;
    this.towers[side].table.accumulate(offsets, ids, grad.dataSync() as Float32Array, adam);
  }

  freeze(side: Side): void {
    if (this.frozen.has(side)) return;
    const tower = this.towers[side];
    if (this.shared) this.towers[side] = { table: tower.table.clone(), net: tower.net.copy(false) };
    else for (const v of tower.net.variables()) v.trainable = false;
    this.frozen.add(side);
  }

  parameterCount(): number {
    const one = (t: Tower<N>) => t.table.size + t.net.parameterCount();
    return this.shared ? one(this.towers.query) : one(this.towers.query) + one(this.towers.item);
  }

  dispose(): void {
    this.towers.query.net.dispose();
    if (!this.shared) this.towers.item.net.dispose();
  }
}
