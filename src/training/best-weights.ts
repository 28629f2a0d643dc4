import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrialFailure } from '../core/errors.ts';
import type { Encoder } from '../extension-points/encoder.ts';

/**
 * The best weights seen so far during model selection, kept through the encoder's own `save` and
 * restored with its `load` (the Encoder contract's checkpoint pair, exact float32 for the bundled
 * encoders). A scratch folder holds one checkpoint at a time; `dispose` removes it.
 */
export class BestWeights {
  private dir: string | undefined;

  constructor(private readonly encoder: Encoder) {
    if (!encoder.save || !encoder.load) {
      throw new TrialFailure('train.select needs an encoder that can save and load its towers (the bundled hash-mlp, transformer and hf-bert can); remove train.select or pick one of those');
    }
  }

  /** Replaces the kept checkpoint with the encoder's current weights. */
  async keep(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'crops-best-'));
    try {
      await this.encoder.save!(dir);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    this.dispose();
    this.dir = dir;
  }

  /** Puts the kept weights back into the encoder. */
  async restore(): Promise<void> {
    if (this.dir === undefined) throw new Error('BestWeights.restore before keep');
    await this.encoder.load!(this.dir);
  }

  dispose(): void {
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
