import { z } from 'zod';
import { LauncherSettings } from './launcher-settings.ts';
import { PLUGIN_SLOTS } from './plugin-slots.ts';
import { METRIC_SPEC } from './trial-config.ts';

/** The report section: which trials form a method row and what the table shows. */
export const ReportSettings = z
  .object({
    baseline: z.string().optional().describe('trial group (trial id without seed=N) or row label the table compares against'),
    metrics: z.array(z.string().regex(METRIC_SPEC, 'use metric@k/set, e.g. recall@100/ct')).min(1).optional().describe('columns and their order, as metric@k/set; defaults to eval.metrics'),
    labels: z.record(z.string(), z.string()).optional().describe('trial group (trial id without seed=N) -> method name shown as the row label'),
    title: z.string().optional().describe('table title and caption; defaults to the experiment name'),
    table: z.string().optional().describe('table style name'),
    significance: z
      .object({
        alpha: z.number().gt(0).lt(1).optional().describe('family-wise error rate of the † marks and of "best", per column (default 0.05)'),
        permutations: z.number().int().min(100).optional().describe('random sign flips of the paired randomization test (default 10000)'),
        bootstrap: z.number().int().min(100).optional().describe('resamples of the query bootstrap intervals (default 2000)'),
      })
      .strict()
      .optional()
      .describe('tests over queries against the baseline'),
    sensitivity: z
      .object({
        axis: z.string().min(1).describe('an ablation axis as it appears in trial ids, e.g. dataset.params.querySynonymRate'),
        baseline: z.string().min(1).describe('trial group without the axis (and without world and seed) every method is compared with at each value'),
        metrics: z.array(z.string().regex(METRIC_SPEC, 'use metric@k/set, e.g. recall@100/ct')).min(1).optional().describe("the map's metrics; defaults to the report's"),
        labels: z.record(z.string(), z.string()).optional().describe('trial group without the axis -> method name'),
        valueLabels: z.record(z.string(), z.string()).optional().describe('axis value as written in trial ids -> the name shown for it (e.g. a plugin given with params)'),
      })
      .strict()
      .optional()
      .describe('a sensitivity map: the difference of each method to the baseline at every value of one axis, tested per value'),
  })
  .strict();

/** Past this many trials an ablation is far more likely a typo than a plan: it must be confirmed with `maxTrials`. */
export const DEFAULT_MAX_TRIALS = 1000;

const slotShape = Object.fromEntries(Object.keys(PLUGIN_SLOTS).map((k) => [k, z.unknown().optional()]));

/**
 * Top-level keys of an experiment file. Plugin slots, `train` and `eval` are checked per expanded
 * trial (their params depend on the plugin chosen), so here they are only admitted.
 */
export const Envelope = z
  .object({
    name: z.string().regex(/^[\w.\- ]+$/, 'use letters, digits, _ . - and spaces').optional().describe('experiment name (MLflow experiment)'),
    description: z.string().optional(),
    seeds: z.array(z.number().int().min(0)).min(1).optional().describe('one trial per seed for each ablation cell'),
    seed: z.number().int().min(0).optional().describe('shorthand for seeds: [n]'),
    worlds: z
      .array(z.number().int().min(0))
      .min(1)
      .optional()
      .describe("dataset seeds: one world per value (the dataset's `seed` param), crossed with the training seeds; reports aggregate over worlds x seeds"),
    maxTrials: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(`most trials this experiment may expand to (default ${DEFAULT_MAX_TRIALS}); raise it to confirm a larger sweep`),
    train: z.unknown().optional(),
    eval: z.unknown().optional(),
    ablate: z.unknown().optional(),
    report: ReportSettings.optional(),
    launcher: LauncherSettings.optional().describe('where the trials run: local (default) or slurm, with its sbatch settings'),
    ...slotShape,
  })
  .strict();

export const ENVELOPE_KEYS = Object.keys(Envelope.shape);
