/**
 * How long each row of a report trained, and whether model selection ended its runs or the step
 * cap did. A run that reaches `train.steps` without early stopping was still improving on dev (or
 * had not yet run out of patience), so its numbers are at that budget, not at convergence; a
 * reviewer comparing rows needs to see that next to the numbers.
 */
import { SELECTION_KEY as KEY } from '../tracking/run-tags.ts';

/** What this module reads of a trial run (report-table.ts's `TrialRun` has it). */
interface SelectedRun {
  metrics: Record<string, number>;
  /** the run's `train.steps` */
  stepCap?: number;
}

export interface Range {
  mean: number;
  min: number;
  max: number;
}

/** The training length of a row's runs that trained under dev selection. */
export interface TrainingLength {
  /** runs of the row with a dev-selection record (others trained a fixed number of steps) */
  selected: number;
  stepsRun: Range;
  bestStep: Range;
  /** runs that ran their whole step cap without stopping early */
  atCap: number;
  /** the caps (`train.steps`) of the runs at the cap, when their params recorded them */
  caps: number[];
}

function range(xs: number[]): Range {
  return { mean: xs.reduce((s, x) => s + x, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) };
}

/** The row's training length, or undefined when none of its runs trained under dev selection. */
export function trainingLength(runs: readonly SelectedRun[]): TrainingLength | undefined {
  const selected = runs.filter((r) => Number.isFinite(r.metrics[KEY.stoppedEarly]) && Number.isFinite(r.metrics[KEY.stepsRun]));
  if (selected.length === 0) return undefined;
  const atCap = selected.filter((r) => r.metrics[KEY.stoppedEarly] === 0);
  const caps = [...new Set(atCap.map((r) => r.stepCap).filter((c): c is number => c !== undefined))].sort((a, b) => a - b);
  return {
    selected: selected.length,
    stepsRun: range(selected.map((r) => r.metrics[KEY.stepsRun]!)),
    bestStep: range(selected.map((r) => r.metrics[KEY.bestStep] ?? r.metrics[KEY.stepsRun]!)),
    atCap: atCap.length,
    caps,
  };
}

const steps = (n: number) => Math.round(n).toLocaleString('en-US');
const span = (r: Range) => (r.min === r.max ? steps(r.min) : `${steps(r.min)}–${steps(r.max)}`);

/**
 * One sentence for the table's notes: the rows with runs the cap stopped, or, when dev selection
 * ended every run, that it did (and over which best steps). Undefined without dev selection.
 */
export function convergenceNote(rows: ReadonlyArray<{ label: string; training?: TrainingLength }>): string | undefined {
  const trained = rows.filter((r) => r.training);
  if (trained.length === 0) return undefined;
  const capped = trained.filter((r) => r.training!.atCap > 0);
  if (capped.length === 0) {
    const best = range(trained.flatMap((r) => [r.training!.bestStep.min, r.training!.bestStep.max]));
    return `Converged: early stopping on the dev score ended every run before its step cap (best dev steps ${span(best)}).`;
  }
  const parts = capped.map(({ label, training: t }) => {
    const cap = t!.caps.length > 0 ? `, cap ${t!.caps.map(steps).join(' / ')}` : '';
    return `${label} (${t!.atCap} of ${t!.selected} run${t!.selected === 1 ? '' : 's'}${cap}; best dev steps ${span(t!.bestStep)})`;
  });
  return `Not converged: these rows have runs that reached their step cap (train.steps) without early stopping, so their numbers are at that budget rather than at convergence: ${parts.join('; ')}.`;
}

/** Header and body cells of the training-length table: rows that trained under dev selection. */
export function trainingCells<Row extends { label: string; training?: TrainingLength }>(rows: readonly Row[], label: (r: Row) => string) {
  const header = ['Method', 'runs', 'steps run (mean, range)', 'best dev step (mean, range)', 'at step cap'];
  const body = rows
    .filter((r) => r.training)
    .map((r) => {
      const t = r.training!;
      return [label(r), String(t.selected), `${steps(t.stepsRun.mean)} (${span(t.stepsRun)})`, `${steps(t.bestStep.mean)} (${span(t.bestStep)})`, String(t.atCap)];
    });
  return { header, body };
}
