import { describe, expect, it } from 'vitest';
import { SELECTION_KEY } from '../tracking/run-tags.ts';
import { Rng } from '../core/rng.ts';
import { convergenceNotes, endTrend, sweepConvergenceLine, trainingCells, trainingLength } from './convergence.ts';
import { buildReportTable, type TrialRun } from './report-table.ts';
import { formatLatex } from './latex-table.ts';
import { formatMarkdown, formatTerminal } from './table-formats.ts';

/** A trial run as the runner logs it under `train.select` (or without it, when `stepsRun` is absent). */
function run(trialId: string, seed: number, opts: { stepsRun?: number; bestStep?: number; cap?: number; devCurve?: TrialRun['devCurve'] } = {}): TrialRun {
  const metrics: Record<string, number> = { 'recall_at_100/ct': 0.5 };
  if (opts.stepsRun !== undefined) {
    metrics[SELECTION_KEY.stepsRun] = opts.stepsRun;
    metrics[SELECTION_KEY.bestStep] = opts.bestStep ?? opts.stepsRun;
    metrics[SELECTION_KEY.stoppedEarly] = opts.stepsRun < (opts.cap ?? Infinity) ? 1 : 0;
  }
  return { trialId: `${trialId},seed=${seed}`, runId: `${trialId}${seed}`, seed, metrics, stepCap: opts.cap, devCurve: opts.devCurve };
}

describe('training length and convergence in reports', () => {
  it('counts the runs that reached their cap and the range of steps and best steps', () => {
    const t = trainingLength([run('a', 1, { stepsRun: 10_000, bestStep: 9_600, cap: 10_000 }), run('a', 2, { stepsRun: 3_000, bestStep: 2_600, cap: 10_000 }), run('a', 3, { stepsRun: 4_000, bestStep: 4_000, cap: 4_000 })])!;
    expect(t.selected).toBe(3);
    expect(t.atCap).toBe(2);
    expect(t.caps).toEqual([4_000, 10_000]);
    expect(t.stepsRun).toEqual({ mean: 17_000 / 3, min: 3_000, max: 10_000 });
    expect(t.bestStep).toEqual({ mean: 16_200 / 3, min: 2_600, max: 9_600 });
  });

  it('has nothing to say about runs trained for a fixed number of steps', () => {
    expect(trainingLength([run('a', 1), run('a', 2)])).toBeUndefined();
    expect(convergenceNotes([{ label: 'A', training: undefined }])).toEqual([]);
    const table = buildReportTable([run('a', 1)], { title: 't', metrics: ['recall@100/ct'] });
    expect(formatMarkdown(table)).not.toMatch(/converged|Training length/i);
  });

  it('names only the rows with runs at the cap, in every table format', () => {
    const runs = [
      run('fs-lr', 1, { stepsRun: 10_000, bestStep: 9_900, cap: 10_000 }),
      run('fs-lr', 2, { stepsRun: 7_200, bestStep: 6_800, cap: 10_000 }),
      run('crops', 1, { stepsRun: 2_400, bestStep: 2_000, cap: 10_000 }),
      run('crops', 2, { stepsRun: 2_800, bestStep: 2_400, cap: 10_000 }),
    ];
    const table = buildReportTable(runs, { title: 't', metrics: ['recall@100/ct'], labels: { 'fs-lr': 'FS-LR', crops: 'CroPS' } });
    const note = 'Not converged: these rows have runs that reached their step cap (train.steps) without early stopping, so their numbers are at that budget rather than at convergence: FS-LR (1 of 2 runs, cap 10,000; best dev steps 6,800–9,900).';
    expect(formatTerminal(table)).toContain(note);
    expect(formatLatex(table)).toContain('Not converged');
    const markdown = formatMarkdown(table);
    expect(markdown).toContain(note);
    expect(markdown).toContain('| FS-LR | 2 | 8,600 (7,200–10,000) | 8,350 (6,800–9,900) | 1 |');
    expect(markdown).toContain('| CroPS | 2 | 2,600 (2,400–2,800) | 2,200 (2,000–2,400) | 0 |');
  });

  it('says when early stopping ended every run', () => {
    const rows = [{ label: 'A', training: trainingLength([run('a', 1, { stepsRun: 900, bestStep: 500, cap: 4_000 })]) }, { label: 'B', training: trainingLength([run('b', 1, { stepsRun: 3_000, bestStep: 2_600, cap: 4_000 })]) }];
    expect(convergenceNotes(rows)).toEqual(['Converged: early stopping on the dev score ended every run before its step cap (best dev steps 500–2,600).']);
    expect(trainingCells(rows, (r) => r.label).body).toEqual([
      ['A', '1', '900 (900)', '500 (500)', '0'],
      ['B', '1', '3,000 (3,000)', '2,600 (2,600)', '0'],
    ]);
  });

  /** Dev scores every 100 steps up to `end`: a trend of `perThousand` per 1,000 steps plus noise of ±`noise`. */
  const curve = (end: number, perThousand: number, noise: number, seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: end / 100 }, (_, i) => ({ step: 100 * (i + 1), value: 0.6 + (perThousand * 100 * (i + 1)) / 1000 + noise * (2 * rng.next() - 1) }));
  };

  it('calls a curve rising only when its last ten scores climb beyond their noise', () => {
    // FS-LR-like: +1 point per 1,000 steps under ±1.5 points of noise is not yet distinguishable...
    expect(endTrend(curve(4_000, 0.01, 0.015, 1))!.rising).toBe(false);
    // ...+4 points per 1,000 steps is; a flat curve with the same noise is not
    const rising = endTrend(curve(4_000, 0.04, 0.015, 1))!;
    expect(rising.rising).toBe(true);
    expect(rising.slope).toBeGreaterThan(0.02);
    expect(endTrend(curve(4_000, 0, 0.015, 2))!.rising).toBe(false);
    // only the last ten scores count: an early climb that flattened is not rising
    const flattened = [...curve(2_000, 0.2, 0, 3), ...Array.from({ length: 10 }, (_, i) => ({ step: 2_100 + 100 * i, value: 1 + 0.001 * (i % 2) }))];
    expect(endTrend(flattened)!.rising).toBe(false);
    // a short run is judged on its later half: a steep first climb that flattened is not rising
    const short = [...curve(500, 0.3, 0, 4), ...Array.from({ length: 6 }, (_, i) => ({ step: 600 + 100 * i, value: 0.75 + 0.004 * (i % 2) }))];
    expect(endTrend(short)!.rising).toBe(false);
    expect(endTrend(curve(400, 0.04, 0, 1))).toBeUndefined();
  });

  it('names the rows with runs still rising, and never calls those rows converged', () => {
    const runs = [
      run('fs-lr', 1, { stepsRun: 3_800, bestStep: 3_400, cap: 10_000, devCurve: curve(3_800, 0.05, 0.005, 1) }),
      run('fs-lr', 2, { stepsRun: 3_000, bestStep: 2_600, cap: 10_000, devCurve: curve(3_000, 0, 0.005, 2) }),
      run('crops', 1, { stepsRun: 2_400, bestStep: 1_400, cap: 10_000, devCurve: curve(2_400, 0, 0.005, 3) }),
    ];
    const table = buildReportTable(runs, { title: 't', metrics: ['recall@100/ct'], labels: { 'fs-lr': 'FS-LR', crops: 'CroPS' } });
    const notes = convergenceNotes(table.rows);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^Still rising: in these rows the dev score of some runs still rose .*: FS-LR \(1 of 2 runs; mean slope \+2\.\d\d\)\.$/);
    const markdown = formatMarkdown(table);
    expect(markdown).toContain('dev slope at the end, points / 1,000 steps (mean, range) | still rising |');
    expect(markdown).toMatch(/\| CroPS \| 1 \| 2,400 \(2,400\) \| 1,400 \(1,400\) \| 0 \| [+−]0\.\d\d \([+−]0\.\d\d to [+−]0\.\d\d\) \| 0 \|/);
    expect(markdown).not.toContain('Converged');
  });
});

describe("the convergence line under crops run's table", () => {
  const trial = (id: string, stepsRun: number, bestStep: number, stoppedEarly: boolean) => ({ id, stepsRun, bestStep, stoppedEarly });

  it('names the trials the step cap ended, at most five, and counts the rest', () => {
    const trials = [trial('a', 1200, 700, true), ...['b', 'c', 'd', 'e', 'f', 'g'].map((id) => trial(id, 4000, 3900, false))];
    const line = sweepConvergenceLine(trials)!;
    expect(line).toContain('not converged: 6 of 7 trained trials ran all their train.steps without early stopping (b; c; d; e; f, and 1 more), so their numbers are at that budget');
    expect(line).not.toContain('g)');
  });

  it('says when early stopping ended every trial, with the best dev steps', () => {
    expect(sweepConvergenceLine([trial('a', 1200, 700, true), trial('b', 3000, 2100, true)])).toBe(
      'early stopping on the dev split ended all 2 trained trials before the train.steps cap (best dev steps 700–2,100); `crops report` also checks whether any dev curve was still rising',
    );
  });

  it('counts the trials whose runs were reused apart from those trained in this sweep', () => {
    const trials = [trial('a', 1200, 700, true), { ...trial('b', 3000, 2100, true), reused: true }, { ...trial('c', 2000, 1000, true), reused: true }];
    expect(sweepConvergenceLine(trials)).toBe(
      'early stopping on the dev split ended all 3 trials (1 trained in this sweep, 2 reusing a finished run of their config) before the train.steps cap (best dev steps 700–2,100); `crops report` also checks whether any dev curve was still rising',
    );
    expect(sweepConvergenceLine([{ ...trial('a', 4000, 3900, false), reused: true }, trial('b', 1000, 500, true)])).toContain('not converged: 1 of 2 trials (1 trained in this sweep, 1 reusing a finished run of their config) ran all its train.steps');
    expect(sweepConvergenceLine([{ ...trial('a', 1000, 500, true), reused: true }])).toContain('ended the trial (none trained in this sweep) before the train.steps cap');
  });

  it('says nothing when no trial trained under dev selection', () => {
    expect(sweepConvergenceLine([])).toBeUndefined();
  });
});
