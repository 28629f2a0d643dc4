import { describe, expect, it } from 'vitest';
import { describeLabelSchemeConformance } from '../../test/conformance/data-conformance.ts';
import fsLr, { FsLrLabelScheme } from './fs-lr-label-scheme.ts';

describe('fs-lr label scheme', () => {
  it('grades the funnel stages and drops every other origin', () => {
    const s = new FsLrLabelScheme();
    const origins = ['search-click', 'shown-not-clicked', 'ranked-not-shown', 'prerank-filtered', 'reformulation', 'feed', 'llm', 'toString'];
    expect(origins.map((o) => s.grade(o))).toEqual([3, 2, 1, 0, undefined, undefined, undefined, undefined]);
    expect(s.positiveGrade).toBe(3);
  });

  it('takes no params and provides graded labels', () => {
    expect(() => fsLr.schema.parse({ grades: {} })).toThrow();
    expect(fsLr.provides).toEqual(['graded-labels']);
  });
});

describeLabelSchemeConformance(fsLr);
