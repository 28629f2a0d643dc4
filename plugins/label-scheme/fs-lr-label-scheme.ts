import { injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Origin } from '../../src/extension-points/samples.ts';
import type { LabelScheme } from '../../src/extension-points/label-scheme.ts';

/** Params of `fs-lr` (none: the stage grades are the method's definition). */
export const FsLrParams = z.object({}).strict();
export type FsLrParams = z.output<typeof FsLrParams>;

/** FS-LR's ordinal grades: how far an item got through the search funnel. */
export const FS_LR_GRADES: Readonly<Record<string, number>> = Object.freeze({
  'search-click': 3,
  'shown-not-clicked': 2,
  'ranked-not-shown': 1,
  'prerank-filtered': 0,
});

/**
 * Full Stage Learning to Rank (WWW 2024) labels: online search data only, graded by funnel stage
 * (search click 3, shown but not clicked 2, ranked but not shown 1, filtered before ranking 0).
 * Every other origin (reformulation, feed, LLM) is dropped, which makes this the paper's ablation
 * baseline; differs from `hla` by using none of the cross-source positives.
 */
@injectable()
export class FsLrLabelScheme implements LabelScheme {
  readonly positiveGrade = 3;

  grade(origin: Origin): number | undefined {
    return Object.hasOwn(FS_LR_GRADES, origin) ? FS_LR_GRADES[origin] : undefined;
  }
}

export default definePlugin({
  kind: 'labelScheme',
  name: 'fs-lr',
  summary: 'FS-LR funnel-stage grades: click 3, shown 2, ranked 1, pre-rank filtered 0; other origins dropped',
  schema: FsLrParams,
  implementation: FsLrLabelScheme,
  provides: ['graded-labels'],
});
