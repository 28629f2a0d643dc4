import { describe, expect, it } from 'vitest';
import binary, { BinaryLabelScheme, BinaryParams } from './binary-label-scheme.ts';
import hla, { HlaLabelScheme, HlaParams } from './hla-label-scheme.ts';
import { describeLabelSchemeConformance } from '../../test/conformance/data-conformance.ts';

const ORIGINS = ['reformulation', 'feed', 'llm', 'search-click', 'shown-not-clicked', 'ranked-not-shown', 'prerank-filtered'];

describe('hla label scheme', () => {
  it('grades origins as in the paper', () => {
    const s = new HlaLabelScheme(HlaParams.parse({}));
    expect(ORIGINS.map((o) => s.grade(o))).toEqual([5, 4, 4, 4, 3, 2, 1]);
    expect(s.grade('something-else')).toBeUndefined();
    expect(s.grade('toString')).toBeUndefined();
    expect(s.positiveGrade).toBe(4);
  });

  it('merges grade overrides over the defaults', () => {
    const s = new HlaLabelScheme(HlaParams.parse({ grades: { reformulation: 4, custom: 2 }, positiveGrade: 3 }));
    expect(s.grade('reformulation')).toBe(4);
    expect(s.grade('feed')).toBe(4);
    expect(s.grade('custom')).toBe(2);
    expect(s.positiveGrade).toBe(3);
  });

  it('validates params and provides graded labels', () => {
    expect(() => hla.schema.parse({ grades: { feed: -1 } })).toThrow();
    expect(() => hla.schema.parse({ grade: {} })).toThrow();
    expect(hla.provides).toEqual(['graded-labels']);
  });
});

describe('binary label scheme', () => {
  it('makes HLA >= 4 origins positive and the stages hard negatives', () => {
    const s = new BinaryLabelScheme(BinaryParams.parse({}));
    expect(ORIGINS.map((o) => s.grade(o))).toEqual([1, 1, 1, 1, 0, 0, 0]);
    expect(s.grade('unknown')).toBeUndefined();
    expect(s.grade('toString')).toBeUndefined();
    expect(s.positiveGrade).toBe(1);
  });

  it('drops negatives when asked', () => {
    const s = new BinaryLabelScheme(BinaryParams.parse({ keepNegatives: false }));
    expect(ORIGINS.map((o) => s.grade(o))).toEqual([1, 1, 1, 1, undefined, undefined, undefined]);
    expect(binary.provides).toEqual(['binary-labels']);
    expect(() => binary.schema.parse({ keep: true })).toThrow();
  });
});

describeLabelSchemeConformance(hla);
describeLabelSchemeConformance(hla, { grades: { reformulation: 4 } });
describeLabelSchemeConformance(binary);
