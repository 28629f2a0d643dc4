import { describe, expect, it } from 'vitest';
import { SELECTION_KEY } from '../tracking/run-tags.ts';
import { convergenceNote, trainingCells, trainingLength } from './convergence.ts';
import { buildReportTable, type TrialRun } from './report-table.ts';
import { formatLatex } from './latex-table.ts';
import { formatMarkdown, formatTerminal } from './table-formats.ts';

/** A trial run as the runner logs it under `train.select` (or without it, when `stepsRun` is absent). */
function run(trialId: string, seed: number, opts: { stepsRun?: number; bestStep?: number; cap?: number } = {}): TrialRun {
  const metrics: Record<string, number> = { 'recall_at_100/ct': 0.5 };
  if (opts.stepsRun !== undefined) {
    metrics[SELECTION_KEY.stepsRun] = opts.stepsRun;
    metrics[SELECTION_KEY.bestStep] = opts.bestStep ?? opts.stepsRun;
    metrics[SELECTION_KEY.stoppedEarly] = opts.stepsRun < (opts.cap ?? Infinity) ? 1 : 0;
  }
  return { trialId: `${trialId},seed=${seed}`, runId: `${trialId}${seed}`, seed, metrics, stepCap: opts.cap };
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
    expect(convergenceNote([{ label: 'A', training: undefined }])).toBeUndefined();
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
    expect(convergenceNote(rows)).toBe('Converged: early stopping on the dev score ended every run before its step cap (best dev steps 500–2,600).');
    expect(trainingCells(rows, (r) => r.label).body).toEqual([
      ['A', '1', '900 (900)', '500 (500)', '0'],
      ['B', '1', '3,000 (3,000)', '2,600 (2,600)', '0'],
    ]);
  });
});
