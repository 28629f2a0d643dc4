import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams, TrialRng } from '../../src/core/services.ts';
import type { Rng } from '../../src/core/rng.ts';
import { Dataset, type WorldKnowledge } from '../../src/extension-points/dataset.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import { murmur3 } from '../../kits/text/tokenize.ts';

const schema = z
  .object({
    noise: z
      .number()
      .min(0)
      .default(0.1)
      .describe('standard deviation of the gaussian noise added to grade/3 before clamping to [0, 1]; 0 gives the exact ground truth, 0.1 lets about a quarter of grade-2 pairs fall under the 0.6 threshold'),
  })
  .strict();
type Params = z.output<typeof schema>;

const MAX_GRADE = 3;
const TWO_32 = 4294967296;

/**
 * The simulated world's ground truth as a discriminator: grade/3 of (query, item), plus noise that
 * stands in for a real relevance model's mistakes. Corpus items (an `itemId` is given) are graded by
 * the dataset's `trueGrade`; other texts (generated pseudo-items, reformulated queries) by its topic
 * model's `textGrade`. With the paper's 0.6 threshold and no noise it keeps exactly grades 2 and 3.
 *
 * The noise is a pure function of (trial seed, query, item id or text): the same pair scores the
 * same whenever and however often it is asked, and a different trial seed draws other mistakes.
 * Requires a dataset with ground truth (`world-ground-truth`, e.g. `synthetic-world`); it is the upper
 * bound the `lexical` and `dense-teacher` discriminators are compared against.
 */
@injectable()
export class OracleDiscriminator implements Discriminator {
  private readonly trueGrade: (query: string, itemId: number) => number;
  private readonly knowledge: WorldKnowledge;
  private readonly seed: number;

  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(Dataset) dataset: Dataset,
    @inject(TrialRng) rng: Rng,
  ) {
    if (!dataset.trueGrade || !dataset.knowledge) {
      throw new Error('oracle discriminator: the dataset exposes no ground truth (trueGrade and knowledge); use a simulated dataset such as synthetic-world, or the lexical discriminator');
    }
    this.trueGrade = dataset.trueGrade.bind(dataset);
    this.knowledge = dataset.knowledge();
    this.seed = rng.nextU32();
  }

  score(query: string, text: string, itemId?: number): number {
    const raw = itemId === undefined ? this.knowledge.textGrade(query, text) : this.trueGrade(query, itemId);
    const exact = Math.min(MAX_GRADE, Math.max(0, raw)) / MAX_GRADE;
    if (this.params.noise === 0) return exact;
    const key = `${query}\u0000${itemId === undefined ? `t${text}` : `i${itemId}`}`;
    return Math.min(1, Math.max(0, exact + this.params.noise * this.gaussian(key)));
  }

  /** A standard normal draw determined by `key` (Box-Muller over two independent 32-bit hashes). */
  private gaussian(key: string): number {
    const u = (murmur3(key, this.seed) + 0.5) / TWO_32;
    const v = (murmur3(key, (this.seed ^ 0x9e3779b9) >>> 0) + 0.5) / TWO_32;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

export default definePlugin({
  kind: 'discriminator',
  name: 'oracle',
  summary: "the simulated world's ground-truth grade / 3 with deterministic gaussian noise",
  schema,
  implementation: OracleDiscriminator,
  provides: ['discriminator'],
  requires: [{ trait: 'world-ground-truth', because: 'it reads the true relevance grades of a simulated world, which real logs do not have; use the lexical discriminator instead' }],
});
