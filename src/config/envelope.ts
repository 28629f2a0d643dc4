import { z } from 'zod';
import { PLUGIN_SLOTS } from './plugin-slots.ts';

/** The report section: which trials form a method row and what the table shows. */
export const ReportSettings = z
  .object({
    baseline: z.string().optional().describe('trial id (or label) the table compares against'),
    metrics: z.array(z.string()).optional().describe('columns, as metric@k/set; defaults to eval.metrics'),
    labels: z.record(z.string(), z.string()).optional().describe('trial id -> row label'),
    table: z.string().optional().describe('table style name'),
  })
  .strict();

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
    train: z.unknown().optional(),
    eval: z.unknown().optional(),
    ablate: z.unknown().optional(),
    report: ReportSettings.optional(),
    ...slotShape,
  })
  .strict();

export const ENVELOPE_KEYS = Object.keys(Envelope.shape);
