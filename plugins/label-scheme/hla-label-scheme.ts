import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { Origin } from '../../src/extension-points/samples.ts';
import type { LabelScheme } from '../../src/extension-points/label-scheme.ts';

/** The paper's hierarchical grades per origin; in-batch negatives are grade 0 in the sampler. */
export const HLA_GRADES: Readonly<Record<string, number>> = Object.freeze({
  reformulation: 5,
  feed: 4,
  llm: 4,
  'search-click': 4,
  'shown-not-clicked': 3,
  'ranked-not-shown': 2,
  'prerank-filtered': 1,
});

/** Params of `hla`. */
export const HlaParams = z
  .object({
    grades: z
      .record(z.string(), z.number().int().min(0))
      .default({})
      .describe('grade overrides per origin, merged over the paper map (e.g. { reformulation: 4 }); new origins may be added'),
    positiveGrade: z.number().int().min(1).default(4).describe('smallest grade that counts as a positive'),
  })
  .strict();
export type HlaParams = z.output<typeof HlaParams>;

/**
 * Hierarchical label assignment (CroPS): reformulation 5; feed, LLM and search clicks 4; then the
 * funnel stages by how far an item got (shown-not-clicked 3, ranked-not-shown 2, pre-rank filtered
 * 1). Only the order matters to H-InfoNCE. Origins missing from the map get no grade and are dropped.
 * Differs from `binary` by keeping the order among positives and among negatives.
 */
@injectable()
export class HlaLabelScheme implements LabelScheme {
  readonly positiveGrade: number;
  private readonly grades: Map<string, number>;

  constructor(@inject(PluginParams) params: HlaParams) {
    const p = HlaParams.parse(params);
    this.positiveGrade = p.positiveGrade;
    this.grades = new Map(Object.entries({ ...HLA_GRADES, ...p.grades }));
  }

  grade(origin: Origin): number | undefined {
    return this.grades.get(origin);
  }
}

export default definePlugin({
  kind: 'labelScheme',
  name: 'hla',
  summary: 'hierarchical grades: reformulation 5, feed/llm/click 4, shown 3, ranked 2, pre-rank filtered 1 (overridable)',
  schema: HlaParams,
  implementation: HlaLabelScheme,
  provides: ['graded-labels'],
});
