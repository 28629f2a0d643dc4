/**
 * The simulated online A/B test of a sweep (the paper's Tables 5-6): per-arm rates and the
 * treatment-vs-control differences with bootstrap intervals over users, rebuilt from the per-user
 * artifacts the trials logged, so a control row's arm can be paired with every other row's.
 */
import { CropsError } from '../core/errors.ts';
import { trialGroup } from '../config/report-check.ts';
import { LEGACY_CONTROL } from '../config/trial-config.ts';
import { compareArms, ONLINE_LABELS, ONLINE_LEGACY_ARTIFACT, ONLINE_METRICS, ONLINE_USERS_ARTIFACT, parseOnlineUsers, SHARE_METRICS, type ArmComparison, type OnlineMetric, type WithCi } from '../eval/online-ab.ts';
import type { OnlineUserOutcome } from '../extension-points/dataset.ts';
import { TAG } from '../tracking/run-tags.ts';
import type { ReadRun, SweepReader } from '../tracking/sweep-reader.ts';
import { summarise } from './stats.ts';
import { alignedGrid, csvField, escapeMarkdown, markdownGrid } from './table-formats.ts';

/** One arm compared with its control. */
export interface OnlineTreatment {
  label: string;
  /** the row's label without its replicate, shared by its worlds and training seeds */
  group: string;
  trialId: string;
  controlTrialId?: string;
  comparison: ArmComparison;
}

export interface OnlineReport {
  /** `none` or the control's trial group */
  control: string;
  controlLabel: string;
  /** the control arm's rates with their intervals, one row per control run that was paired (per world and seed) */
  controlArms: { label: string; trialId: string; rates: Record<string, WithCi> }[];
  treatments: OnlineTreatment[];
  /** rows with two or more replicates: their differences summarised over the replicates */
  overReplicates: ReplicateSummary[];
  seed: number;
  /** arms left out, and why */
  notes: string[];
}

/** One metric's treatment − control difference over a row's replicates. */
export interface ReplicateDifference {
  mean: number;
  /** 95% Student's t interval over the replicates (n − 1 degrees of freedom) */
  ci?: [number, number];
  /** replicates whose own interval over users lies above 0, and below 0 */
  above: number;
  below: number;
}

/**
 * A row's differences to control summarised over its replicates (worlds × training seeds). The
 * bootstrap over users holds the trained model fixed, so it says how sure the difference is for
 * that one model; another training seed can move a channel's share by more than that interval.
 * A claim about the method needs the spread between replicates, which this interval carries.
 */
export interface ReplicateSummary {
  label: string;
  replicates: number;
  metrics: Record<OnlineMetric, ReplicateDifference>;
}

/** Shares of the funnel are compared in points, behaviour rates relative to control. */
const differenceOf = (t: OnlineTreatment, m: OnlineMetric) => (SHARE_METRICS.includes(m) ? t.comparison.metrics[m].absolute : t.comparison.metrics[m].relative);

function overReplicates(treatments: readonly OnlineTreatment[]): ReplicateSummary[] {
  const groups = [...new Set(treatments.map((t) => t.group))];
  return groups.flatMap((group) => {
    const rows = treatments.filter((t) => t.group === group);
    if (rows.length < 2) return [];
    const metrics = Object.fromEntries(
      ONLINE_METRICS.map((m) => {
        const diffs = rows.map((t) => differenceOf(t, m));
        const s = summarise(diffs.map((d) => d.value));
        return [m, { mean: s.mean, ci: s.ci, above: diffs.filter((d) => d.ci[0] > 0).length, below: diffs.filter((d) => d.ci[1] < 0).length }];
      }),
    ) as Record<OnlineMetric, ReplicateDifference>;
    return [{ label: group, replicates: rows.length, metrics }];
  });
}

const trialIdOf = (r: ReadRun) => r.tags[TAG.trialId] ?? r.runName;
const seedOf = (r: ReadRun) => (r.tags[TAG.seed] !== undefined ? Number(r.tags[TAG.seed]) : undefined);

/** The runs' online A/B tests, one per control named in `eval.online.control`; empty when no trial ran one. */
export async function collectOnlineReports(reader: SweepReader, runs: ReadRun[], labels: Record<string, string> = {}): Promise<OnlineReport[]> {
  const withOnline = runs.filter((r) => r.params['eval.online.control'] !== undefined).sort((a, b) => trialIdOf(a).localeCompare(trialIdOf(b)));
  const users = async (r: ReadRun, path: string): Promise<OnlineUserOutcome[] | undefined> => {
    const text = await reader.readArtifact(r, path);
    if (text === undefined) return undefined;
    let problem: string;
    try {
      return parseOnlineUsers(text);
    } catch (e) {
      problem = e instanceof Error ? e.message : String(e);
    }
    throw new CropsError(`trial ${trialIdOf(r)} (run ${r.runId} in ${reader.location}): artifact ${path} cannot be read: ${problem}`);
  };
  const groupOf = (r: ReadRun) => trialGroup(trialIdOf(r), seedOf(r));
  /** what tells a trial apart from the rest of its group: `world=2,seed=1` */
  const replicateOf = (r: ReadRun) => (trialIdOf(r).startsWith(groupOf(r)) ? trialIdOf(r).slice(groupOf(r).length).replace(/^,/, '') : '');
  const labelOf = (r: ReadRun, several: boolean) => {
    const base = labels[groupOf(r)] ?? groupOf(r);
    return several && replicateOf(r) ? `${base} (${replicateOf(r)})` : base;
  };
  const perGroup = new Map<string, number>();
  for (const r of withOnline) perGroup.set(groupOf(r), (perGroup.get(groupOf(r)) ?? 0) + 1);
  const several = (r: ReadRun) => (perGroup.get(groupOf(r)) ?? 0) > 1;

  const reports: OnlineReport[] = [];
  for (const control of [...new Set(withOnline.map((r) => r.params['eval.online.control']!))]) {
    const arms = withOnline.filter((r) => r.params['eval.online.control'] === control);
    const seed = Number(arms[0]!.params['eval.online.seed'] ?? 1);
    const resamples = Number(arms[0]!.params['eval.online.resamples'] ?? 2000);
    const report: OnlineReport = { control, controlLabel: control === LEGACY_CONTROL ? 'legacy funnel alone' : (labels[control] ?? control), treatments: [], overReplicates: [], controlArms: [], seed, notes: [] };
    const controls = arms.filter((r) => groupOf(r) === control);
    for (const r of arms) {
      if (control !== LEGACY_CONTROL && groupOf(r) === control) continue;
      const treated = await users(r, ONLINE_USERS_ARTIFACT);
      if (!treated) {
        report.notes.push(`${trialIdOf(r)}: its run has no ${ONLINE_USERS_ARTIFACT}`);
        continue;
      }
      let base: OnlineUserOutcome[] | undefined;
      let controlRun: ReadRun | undefined;
      if (control === LEGACY_CONTROL) base = await users(r, ONLINE_LEGACY_ARTIFACT);
      else {
        // the control run of the same world and training seed, else the control's first run
        const replicate = trialIdOf(r).slice(groupOf(r).length);
        controlRun = controls.find((c) => trialIdOf(c).slice(control.length) === replicate) ?? controls.find((c) => seedOf(c) === seedOf(r)) ?? controls[0];
        base = controlRun && (await users(controlRun, ONLINE_USERS_ARTIFACT));
      }
      if (!base) {
        report.notes.push(`${trialIdOf(r)}: no finished control arm to pair it with (${control === LEGACY_CONTROL ? ONLINE_LEGACY_ARTIFACT : `trial group ${control}`} missing)`);
        continue;
      }
      const comparison = compareArms(treated, base, { resamples, seed });
      report.treatments.push({ label: labelOf(r, several(r)), group: labelOf(r, false), trialId: trialIdOf(r), controlTrialId: controlRun && trialIdOf(controlRun), comparison });
      // one control row per control run paired (worlds differ, so their rates do); the legacy
      // funnel's arm comes with each treated run, so it is shown per treated run
      const controlOf = controlRun ?? r;
      if (!report.controlArms.some((c) => c.trialId === trialIdOf(controlOf))) {
        const replicate = controlRun ? (several(controlRun) ? replicateOf(controlRun) : '') : trialIdOf(r);
        const label = `${report.controlLabel} (control${replicate ? `, ${replicate}` : ''})`;
        report.controlArms.push({ label, trialId: trialIdOf(controlOf), rates: Object.fromEntries(ONLINE_METRICS.map((m) => [m, comparison.metrics[m].control])) });
      }
    }
    report.overReplicates = overReplicates(report.treatments);
    if (report.treatments.length > 0 || report.notes.length > 0) reports.push(report);
  }
  return reports;
}

const pct = (x: number, digits = 2) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : 'n/a');
const signed = (x: number, unit: string) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}${unit}` : 'n/a');
const rateText = (v: WithCi) => `${pct(v.value)} [${pct(v.ci[0])}, ${pct(v.ci[1])}]`;

/** How a metric's difference is shown: shares of the funnel in points, behaviour rates relative to control. */
function diffText(t: OnlineTreatment, m: OnlineMetric): string {
  const d = differenceOf(t, m);
  const unit = SHARE_METRICS.includes(m) ? ' pp' : '%';
  if (!Number.isFinite(d.value)) return 'n/a';
  const excludes0 = d.ci[0] > 0 || d.ci[1] < 0;
  return `${signed(d.value, unit)}${excludes0 ? '†' : ''} [${signed(d.ci[0], '')}, ${signed(d.ci[1], '')}]`;
}

/** One online A/B test as titled tables, the same for every output format. */
export interface OnlineSection {
  title: string;
  tables: Array<{ caption: string; header: string[]; body: string[][] }>;
  notes: string[];
}

export function onlineSection(report: OnlineReport): OnlineSection {
  const notes = report.notes.map((n) => `Left out of the online A/B test: ${n}.`);
  if (report.treatments.length === 0) return { title: '', tables: [], notes };
  const header = ['Arm', ...ONLINE_METRICS.map((m) => ONLINE_LABELS[m])];
  const perArm = [
    ...report.controlArms.map((c) => [c.label, ...ONLINE_METRICS.map((m) => rateText(c.rates[m]!))]),
    ...report.treatments.map((t) => [t.label, ...ONLINE_METRICS.map((m) => rateText(t.comparison.metrics[m].treatment))]),
  ];
  const diff = report.treatments.map((t) => [t.label, ...ONLINE_METRICS.map((m) => diffText(t, m))]);
  const pooled = report.overReplicates.map((s) => [`${s.label} (${s.replicates} replicates)`, ...ONLINE_METRICS.map((m) => replicateText(s.metrics[m], m))]);
  const users = report.treatments[0]!.comparison.users;
  const tables = [
    { caption: 'Per arm, with 95% bootstrap intervals over users', header, body: perArm },
    {
      caption:
        'Treatment vs control, 95% bootstrap intervals over users: Ratio_rank and Ratio_show in percentage points, ' +
        'CTR, long-play rate and reformulation rate relative to control; † the interval excludes 0',
      header,
      body: diff,
    },
  ];
  if (pooled.length > 0) {
    tables.push({
      caption:
        'Over the replicates (worlds × training seeds): mean difference with a 95% t interval over the replicates, † the interval excludes 0; ' +
        'then how many replicates differ upwards / downwards by their own interval over users',
      header,
      body: pooled,
    });
  }
  return { title: `Simulated online A/B test against ${report.controlLabel} (${users} users, day seed ${report.seed})`, tables, notes };
}

function replicateText(d: ReplicateDifference, m: OnlineMetric): string {
  const unit = SHARE_METRICS.includes(m) ? ' pp' : '%';
  if (!Number.isFinite(d.mean)) return 'n/a';
  const excludes0 = d.ci !== undefined && (d.ci[0] > 0 || d.ci[1] < 0);
  const ci = d.ci ? ` [${signed(d.ci[0], '')}, ${signed(d.ci[1], '')}]` : '';
  return `${signed(d.mean, unit)}${excludes0 ? '†' : ''}${ci}; ${d.above} up / ${d.below} down`;
}

/** The online A/B tables in Markdown. */
export function onlineMarkdown(reports: OnlineReport[]): string {
  return reports
    .map((r) => {
      const { title, tables, notes } = onlineSection(r);
      const esc = (rows: string[][]) => rows.map((row) => row.map(escapeMarkdown));
      const body = tables.flatMap((t) => [`${escapeMarkdown(t.caption)}:`, markdownGrid(t.header, esc(t.body))]);
      return [...(title ? [`## ${escapeMarkdown(title)}`] : []), ...body, ...notes.map(escapeMarkdown)].join('\n\n');
    })
    .join('\n\n');
}

/** The online A/B tables as aligned terminal text. */
export function onlineTerminal(reports: OnlineReport[]): string {
  return reports
    .map((r) => {
      const { title, tables, notes } = onlineSection(r);
      if (!title) return notes.join('\n');
      return [title, ...tables.map((t) => `${t.caption}:\n${alignedGrid(t.header, t.body)}`), ...notes].join('\n\n');
    })
    .join('\n\n');
}

const CSV_COLUMNS = ['control', 'arm', 'trial', 'control_trial', 'metric', 'treatment', 'treatment_low', 'treatment_high', 'control_value', 'control_low', 'control_high', 'abs_diff', 'abs_low', 'abs_high', 'rel_diff', 'rel_low', 'rel_high', 'users', 'resamples', 'day_seed'];

/** One line per treatment arm and metric, every number unrounded. */
export function onlineCsv(reports: OnlineReport[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of reports) {
    for (const t of r.treatments) {
      for (const m of ONLINE_METRICS) {
        const c = t.comparison.metrics[m];
        const n = (x: number) => (Number.isFinite(x) ? x : undefined);
        const fields = [r.control, t.label, t.trialId, t.controlTrialId ?? '', m, c.treatment.value, ...c.treatment.ci, c.control.value, ...c.control.ci, c.absolute.value, ...c.absolute.ci, c.relative.value, ...c.relative.ci].map((v) => (typeof v === 'number' ? n(v) : v));
        lines.push([...fields, t.comparison.users, t.comparison.resamples, r.seed].map(csvField).join(','));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
