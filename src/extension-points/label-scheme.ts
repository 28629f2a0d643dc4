import type { Origin } from './samples.ts';

export const LabelScheme = Symbol.for('crops.LabelScheme');

/**
 * Maps each origin to an integer grade (higher = more relevant; only the order matters). An origin
 * the scheme does not use returns `undefined` and its pairs are dropped. `positiveGrade` is the
 * smallest grade that counts as a positive for binary losses and for reports.
 *
 * @example
 * ```ts
 * @injectable()
 * class ClicksOnly implements LabelScheme {
 *   readonly positiveGrade = 1;
 *   grade(origin: Origin) { return origin === 'search-click' ? 1 : undefined; }
 * }
 * ```
 */
export interface LabelScheme {
  readonly positiveGrade: number;
  grade(origin: Origin): number | undefined;
}
