import { didYouMean } from '../core/did-you-mean.ts';
import type { Diagnostic } from '../core/errors.ts';
import { splitTopLevel } from './expand.ts';
import type { SourceMap } from './source-map.ts';

/**
 * The trial group (report row) of a trial: its id without the `world=W` and `seed=N` parts that
 * {@link loadExperiment} appends when an experiment has several worlds or seeds
 * (`labelScheme=hla,world=8,seed=2` -> `labelScheme=hla`). Only the last part can be the seed, so values
 * that contain commas are left alone; a sweep without ablation axes is the group `base`.
 */
export function trialGroup(trialId: string, seed?: number): string {
  const seedPart = seed === undefined ? String.raw`seed=\d+` : `seed=${seed}`;
  // the world (dataset seed) of `worlds:` is a replicate too, written just before the seed
  const stripped = trialId.replace(new RegExp(`(^|,)${seedPart}(?=(#\\d+)?$)`), '').replace(/(^|,)world=\d+(?=(#\d+)?$)/, '');
  return stripped === '' || stripped.startsWith('#') ? `base${stripped}` : stripped;
}

interface ReportSection {
  baseline?: string;
  labels?: Record<string, string>;
  metrics?: string[];
  sensitivity?: { axis: string; baseline: string; metrics?: string[]; labels?: Record<string, string>; valueLabels?: Record<string, string> };
}

/**
 * The `axis=value` part of a trial id, for a sensitivity axis: its value, and the id without it. A
 * value may hold commas inside brackets (a plugin given with params reads
 * `dense-teacher(train={encoder=hash-mlp(dim=64,hidden=128)},high=0.6)`), so the id is split at
 * commas outside (), {} and [] only; a `#n` suffix (repeated ids) stays on the rest.
 */
export function splitAxis(trialId: string, axis: string): { value: string; rest: string } | undefined {
  const hash = /#\d+$/.exec(trialId);
  const parts = splitTopLevel(hash ? trialId.slice(0, hash.index) : trialId, { open: '({[', close: ')}]' }).map((p) => p.text);
  const at = parts.findIndex((p) => p.startsWith(`${axis}=`));
  if (at < 0) return undefined;
  const rest = parts.filter((_, i) => i !== at).join(',');
  return { value: parts[at]!.slice(axis.length + 1), rest: rest + (hash?.[0] ?? '') };
}

/**
 * Checks the `report:` section against the expanded trials, so a misspelt baseline or label shows
 * up at validation rather than as a table without Δ after the sweep: the baseline must name a
 * trial group or a label, label keys must be trial groups, and every metric must be evaluated.
 */
export function checkReportSection(
  report: ReportSection,
  trials: Array<{ id: string; config?: { seed: number; eval: { metrics: string[] } } }>,
  map: SourceMap,
): Diagnostic[] {
  const valid = trials.filter((t) => t.config);
  if (valid.length === 0) return [];
  const groups = [...new Set(valid.map((t) => trialGroup(t.id, t.config!.seed)))];
  const labels = report.labels ?? {};
  const diagnostics: Diagnostic[] = [];
  const unknown = (what: string, name: string, candidates: string[]) => {
    const guess = didYouMean(name, candidates);
    return `no ${what} '${name}'${guess ? `; did you mean '${guess}'?` : ''} (trial groups: ${groups.join(' | ')})`;
  };
  for (const key of Object.keys(labels)) {
    if (!groups.includes(key)) diagnostics.push({ ...map.key(['report', 'labels', key]), path: `report.labels.${key}`, message: unknown('trial group', key, groups) });
  }
  const baseline = report.baseline;
  if (baseline !== undefined && !groups.includes(baseline) && !Object.values(labels).includes(baseline)) {
    diagnostics.push({ ...map.value(['report', 'baseline']), path: 'report.baseline', message: unknown('trial group or label', baseline, [...groups, ...Object.values(labels)]) });
  }
  const evaluated = new Set(valid.flatMap((t) => t.config!.eval.metrics));
  const checkMetrics = (list: string[] | undefined, path: Array<string | number>) =>
    (list ?? []).forEach((m, i) => {
      if (!evaluated.has(m)) diagnostics.push({ ...map.value([...path, i]), path: [...path, i].join('.'), message: `'${m}' is not in any trial's eval.metrics (${[...evaluated].join(', ')})` });
    });
  checkMetrics(report.metrics, ['report', 'metrics']);
  if (report.sensitivity) diagnostics.push(...checkSensitivity(report.sensitivity, valid, map, checkMetrics));
  return diagnostics;
}

function checkSensitivity(
  sens: NonNullable<ReportSection['sensitivity']>,
  trials: Array<{ id: string; config?: { seed: number } }>,
  map: SourceMap,
  checkMetrics: (list: string[] | undefined, path: Array<string | number>) => void,
): Diagnostic[] {
  const withAxis = trials.flatMap((t) => {
    const split = splitAxis(t.id, sens.axis);
    return split ? [{ ...split, seed: t.config!.seed }] : [];
  });
  if (withAxis.length === 0) {
    const axes = [...new Set(trials.flatMap((t) => [...t.id.matchAll(/(?:^|,)([\w.-]+)=/g)].map((m) => m[1]!)))].filter((a) => a !== 'seed' && a !== 'world');
    const guess = didYouMean(sens.axis, axes);
    return [{ ...map.value(['report', 'sensitivity', 'axis']), path: 'report.sensitivity.axis', message: `no trial id has '${sens.axis}=…'${guess ? `; did you mean '${guess}'?` : ''} (axes in trial ids: ${axes.join(', ') || 'none'})` }];
  }
  const groups = [...new Set(withAxis.map((t) => trialGroup(t.rest, t.seed)))];
  const diagnostics: Diagnostic[] = [];
  const unknown = (name: string) => {
    const guess = didYouMean(name, groups);
    return `no trial group '${name}' once '${sens.axis}' is taken out${guess ? `; did you mean '${guess}'?` : ''} (groups: ${groups.join(' | ')})`;
  };
  if (!groups.includes(sens.baseline) && !Object.values(sens.labels ?? {}).includes(sens.baseline)) {
    diagnostics.push({ ...map.value(['report', 'sensitivity', 'baseline']), path: 'report.sensitivity.baseline', message: unknown(sens.baseline) });
  }
  for (const key of Object.keys(sens.labels ?? {})) {
    if (!groups.includes(key)) diagnostics.push({ ...map.key(['report', 'sensitivity', 'labels', key]), path: `report.sensitivity.labels.${key}`, message: unknown(key) });
  }
  const values = [...new Set(withAxis.map((t) => t.value))];
  for (const key of Object.keys(sens.valueLabels ?? {})) {
    if (!values.includes(key)) {
      const guess = didYouMean(key, values);
      diagnostics.push({ ...map.key(['report', 'sensitivity', 'valueLabels', key]), path: `report.sensitivity.valueLabels.${key}`, message: `no trial id has '${sens.axis}=${key}'${guess ? `; did you mean '${guess}'?` : ''} (values: ${values.join(' | ')})` });
    }
  }
  checkMetrics(sens.metrics, ['report', 'sensitivity', 'metrics']);
  return diagnostics;
}

/**
 * Checks `eval.online.control` against the expanded trials: it must be `none` (the legacy system
 * alone) or name a trial group of the sweep, whose trained model then serves the control arm.
 */
export function checkOnlineControl(
  trials: Array<{ id: string; config?: { seed: number; eval: { online?: { control: string } } } }>,
  map: SourceMap,
  legacy: string,
): Diagnostic[] {
  const valid = trials.filter((t) => t.config);
  const groups = [...new Set(valid.map((t) => trialGroup(t.id, t.config!.seed)))];
  const wrong = new Set(valid.map((t) => t.config!.eval.online?.control).filter((c): c is string => c !== undefined && c !== legacy && !groups.includes(c)));
  return [...wrong].map((control) => {
    const guess = didYouMean(control, groups);
    return {
      ...map.value(['eval', 'online', 'control']),
      path: 'eval.online.control',
      message: `no trial group '${control}'${guess ? ` (did you mean '${guess}'?)` : ''}; expected '${legacy}' (the legacy system alone) or one of the trial groups: ${groups.join(' | ')}`,
    };
  });
}
