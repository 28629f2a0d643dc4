import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { Origin } from '../../src/extension-points/samples.ts';
import type { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import { HLA_GRADES } from './hla-label-scheme.ts';

/** Params of `binary`. */
export const BinaryParams = z
  .object({
    keepNegatives: z
      .boolean()
      .default(true)
      .describe('keep the funnel-stage origins as grade-0 hard negatives; false drops them'),
  })
  .strict();
export type BinaryParams = z.output<typeof BinaryParams>;

/** HLA grade from which an origin counts as a positive. */
const POSITIVE_FROM = 4;

/**
 * The paper's binary ablation: every origin HLA grades 4 or higher (clicks, reformulation, feed,
 * LLM) is a positive (1); the funnel-stage origins are grade-0 hard negatives (or dropped), so
 * InfoNCE sees no order among positives or among negatives. Origins unknown to HLA are dropped.
 */
@injectable()
export class BinaryLabelScheme implements LabelScheme {
  readonly positiveGrade = 1;
  private readonly keepNegatives: boolean;

  constructor(@inject(PluginParams) params: BinaryParams) {
    this.keepNegatives = BinaryParams.parse(params).keepNegatives;
  }

  grade(origin: Origin): number | undefined {
    const hla = Object.hasOwn(HLA_GRADES, origin) ? HLA_GRADES[origin] : undefined;
    if (hla === undefined) return undefined;
    if (hla >= POSITIVE_FROM) return 1;
    return this.keepNegatives ? 0 : undefined;
  }
}

export default definePlugin({
  kind: 'labelScheme',
  name: 'binary',
  summary: 'binary labels: origins HLA grades >= 4 are positives (1), funnel stages hard negatives (0)',
  schema: BinaryParams,
  implementation: BinaryLabelScheme,
  provides: ['binary-labels'],
});
