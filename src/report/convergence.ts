/**
 * How long each row of a report trained, and whether its runs had converged when training ended.
 * Two things say they had not: the step cap ended a run before early stopping did, or the run's
 * dev score was still rising over its last scores. Early stopping alone is not proof: on a small
 * dev split consecutive scores carry noise, and a few of them in a row can fall below a lucky best
 * while the trend still climbs. A reviewer comparing rows needs both next to the numbers.
 */
import { SELECTION_KEY as KEY } from '../tracking/run-tags.ts';
import { linearTrend, mean } from './stats.ts';

/** What this module reads of a trial run (report-table.ts's `TrialRun` has it). */
interface SelectedRun {
  metrics: Record<string, number>;
  /** the run's `train.steps` */
  stepCap?: number;
  /** the dev scores of model selection (`train/dev_metric` by step) */
  devCurve?: ReadonlyArray<{ step: number; value: number }>;
}

/** The dev scores the end-of-training trend is fitted to: at most the last ten (1,000 steps at `every: 100`). */
export const TREND_SCORES = 10;
/** Trends are shown per this many steps. */
const TREND_UNIT = 1_000;

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
  /**
   * the least-squares slope of each run's last {@link TREND_SCORES} dev scores (from the later half
   * of its training), in metric units per 1,000 steps (runs with at least three such scores);
   * `rising`: runs whose 95% interval of the slope lies above zero
   */
  devTrend?: { slope: Range; runs: number; rising: number };
}

function range(xs: number[]): Range {
  return { mean: mean(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/**
 * The slope per {@link TREND_UNIT} steps of the run's last dev scores, and whether it is surely
 * rising. Only scores from the later half of training count, so a run that stopped early in its
 * life is judged on where it ended, not on the first climb that every run makes.
 */
export function endTrend(curve: ReadonlyArray<{ step: number; value: number }>): { slope: number; rising: boolean } | undefined {
  const sorted = [...curve].sort((a, b) => a.step - b.step);
  const end = sorted.at(-1)?.step ?? 0;
  const last = sorted.filter((p) => p.step > end / 2).slice(-TREND_SCORES);
  if (last.length < 3) return undefined;
  const t = linearTrend(last.map((p) => ({ x: p.step / TREND_UNIT, y: p.value })));
  return { slope: t.slope, rising: t.slopeCi !== undefined && t.slopeCi[0] > 0 };
}

/** The row's training length, or undefined when none of its runs trained under dev selection. */
export function trainingLength(runs: readonly SelectedRun[]): TrainingLength | undefined {
  const selected = runs.filter((r) => Number.isFinite(r.metrics[KEY.stoppedEarly]) && Number.isFinite(r.metrics[KEY.stepsRun]));
  if (selected.length === 0) return undefined;
  const atCap = selected.filter((r) => r.metrics[KEY.stoppedEarly] === 0);
  const caps = [...new Set(atCap.map((r) => r.stepCap).filter((c): c is number => c !== undefined))].sort((a, b) => a - b);
  const trends = selected.map((r) => (r.devCurve ? endTrend(r.devCurve) : undefined)).filter((t) => t !== undefined);
  return {
    selected: selected.length,
    stepsRun: range(selected.map((r) => r.metrics[KEY.stepsRun]!)),
    bestStep: range(selected.map((r) => r.metrics[KEY.bestStep] ?? r.metrics[KEY.stepsRun]!)),
    atCap: atCap.length,
    caps,
    ...(trends.length > 0 ? { devTrend: { slope: range(trends.map((t) => t.slope)), runs: trends.length, rising: trends.filter((t) => t.rising).length } } : {}),
  };
}

const steps = (n: number) => Math.round(n).toLocaleString('en-US');
const span = (r: Range) => (r.min === r.max ? steps(r.min) : `${steps(r.min)}–${steps(r.max)}`);
/** A slope in metric units as signed percentage points, e.g. `+1.20`. */
const points = (v: number) => `${v < 0 && Math.abs(v * 100).toFixed(2) !== '0.00' ? '−' : '+'}${Math.abs(v * 100).toFixed(2)}`;
const runsOf = (k: number, n: number) => `${k} of ${n} run${n === 1 ? '' : 's'}`;

type Row = { label: string; training?: TrainingLength };

/**
 * The sentences for the table's notes: the rows with runs the cap stopped, the rows with runs still
 * rising on dev at the end, or, when neither happened, that early stopping ended every run on a
 * flat curve. Empty without dev selection.
 */
export function convergenceNotes(rows: readonly Row[]): string[] {
  const trained = rows.filter((r) => r.training);
  if (trained.length === 0) return [];
  const notes: string[] = [];
  const capped = trained.filter((r) => r.training!.atCap > 0);
  if (capped.length > 0) {
    const parts = capped.map(({ label, training: t }) => {
      const cap = t!.caps.length > 0 ? `, cap ${t!.caps.map(steps).join(' / ')}` : '';
      return `${label} (${runsOf(t!.atCap, t!.selected)}${cap}; best dev steps ${span(t!.bestStep)})`;
    });
    notes.push(`Not converged: these rows have runs that reached their step cap (train.steps) without early stopping, so their numbers are at that budget rather than at convergence: ${parts.join('; ')}.`);
  }
  const rising = trained.filter((r) => (r.training!.devTrend?.rising ?? 0) > 0);
  if (rising.length > 0) {
    const parts = rising.map(({ label, training: t }) => `${label} (${runsOf(t!.devTrend!.rising, t!.devTrend!.runs)}; mean slope ${points(t!.devTrend!.slope.mean)})`);
    notes.push(
      `Still rising: in these rows the dev score of some runs still rose when training ended (least-squares slope of the last ${TREND_SCORES} scores, from the later half of training, its 95% t interval above 0; mean slope in points per 1,000 steps), so more training would likely have helped: ${parts.join('; ')}.`,
    );
  }
  if (notes.length === 0) {
    const best = range(trained.flatMap((r) => [r.training!.bestStep.min, r.training!.bestStep.max]));
    const flat = trained.some((r) => r.training!.devTrend) ? ` and no run's last ${TREND_SCORES} dev scores were still rising` : '';
    notes.push(`Converged: early stopping on the dev score ended every run before its step cap${flat} (best dev steps ${span(best)}).`);
  }
  return notes;
}

/** Header and body cells of the training-length table: rows that trained under dev selection. */
export function trainingCells<R extends Row>(rows: readonly R[], label: (r: R) => string) {
  const withTrend = rows.some((r) => r.training?.devTrend);
  const header = ['Method', 'runs', 'steps run (mean, range)', 'best dev step (mean, range)', 'at step cap', ...(withTrend ? [`dev slope at the end, points / 1,000 steps (mean, range)`, 'still rising'] : [])];
  const body = rows
    .filter((r) => r.training)
    .map((r) => {
      const t = r.training!;
      const trend = t.devTrend ? [`${points(t.devTrend.slope.mean)} (${points(t.devTrend.slope.min)} to ${points(t.devTrend.slope.max)})`, String(t.devTrend.rising)] : ['n/a', 'n/a'];
      return [label(r), String(t.selected), `${steps(t.stepsRun.mean)} (${span(t.stepsRun)})`, `${steps(t.bestStep.mean)} (${span(t.bestStep)})`, String(t.atCap), ...(withTrend ? trend : [])];
    });
  return { header, body };
}

/** A trial as `crops run` ended it, for {@link sweepConvergenceLine}. */
interface EndedTrial {
  id: string;
  stepsRun: number;
  bestStep: number;
  stoppedEarly: boolean;
  /** It took a finished run of its config (recorded before, or a twin's in this sweep) instead of training. */
  reused?: boolean;
}

/**
 * The line under `crops run`'s results table: the trials the step cap ended, named so they can be
 * re-run with a larger cap, or that early stopping ended all of them. Trials whose runs were reused
 * count with the rest, since their numbers are in the table, but the line says how many trained in
 * this sweep so a resumed sweep does not read as a full one. The dev-curve trend check needs the
 * logged curves, so it is left to `crops report`. Undefined when no trial trained under dev selection.
 */
export function sweepConvergenceLine(trials: readonly EndedTrial[]): string | undefined {
  if (trials.length === 0) return undefined;
  const n = trials.length;
  const reused = trials.filter((t) => t.reused).length;
  const noun = `trial${n === 1 ? '' : 's'}`;
  const which = reused === 0 ? `trained ${noun}` : reused === n ? `${noun} (none trained in this sweep)` : `${noun} (${n - reused} trained in this sweep, ${reused} reusing a finished run of their config)`;
  const capped = trials.filter((t) => !t.stoppedEarly);
  const best = span(range(trials.map((t) => t.bestStep)));
  if (capped.length === 0) {
    return `early stopping on the dev split ended ${n === 1 ? 'the' : `all ${n}`} ${which} before the train.steps cap (best dev steps ${best}); \`crops report\` also checks whether any dev curve was still rising`;
  }
  const shown = capped.slice(0, 5).map((t) => t.id);
  const more = capped.length > shown.length ? `, and ${capped.length - shown.length} more` : '';
  return `not converged: ${capped.length} of ${n} ${which} ran all ${capped.length === 1 ? 'its' : 'their'} train.steps without early stopping (${shown.join('; ')}${more}), so ${capped.length === 1 ? 'its numbers are' : 'their numbers are'} at that budget; raise train.steps to train them further (\`crops report\` charts their dev curves)`;
}
