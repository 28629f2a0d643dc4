import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePerQuery, PER_QUERY_ARTIFACT } from '../src/eval/per-query-file.ts';
import { pairedRandomizationTest } from '../src/report/significance.ts';
import { MlflowFileStore, type StoredRun } from '../src/tracking/file-store.ts';
import { runCli } from './support/cli.ts';

const QUICKSTART = resolve('experiments/quickstart.yaml');
const GROUPS = ['labelScheme=binary,loss=info-nce', 'labelScheme=hla,loss=h-info-nce'];
const METRICS: Array<[label: string, key: string]> = [
  ['recall@100/ct', 'recall_at_100/ct'],
  ['recall@100/qr', 'recall_at_100/qr'],
  ['ndcg@4/judged', 'ndcg_at_4/judged'],
];

/** RFC 4180 fields of one CSV line (the report quotes labels that contain commas). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(?:,|$)/g;
  for (let m = re.exec(line); m && m.index < line.length; m = re.exec(line)) fields.push(m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!);
  return fields;
}

function readCsv(path: string): Array<Record<string, string>> {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const cols = csvFields(head!);
  return lines.map((l) => Object.fromEntries(csvFields(l).map((v, i) => [cols[i]!, v])));
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stdOf = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - meanOf(xs)) ** 2, 0) / (xs.length - 1));

describe('crops report on a two-seed sweep, through the real CLI', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-report-'));
  const store = new MlflowFileStore(join(cwd, 'mlruns'));
  const sets = ['--set', 'seeds=[1,2]', '--set', 'train.steps=12', '--set', 'train.logEvery=3'];
  let trials: StoredRun[] = [];
  let parent: StoredRun;
  let firstCsv: string;

  it('runs the sweep', async () => {
    const res = runCli(['run', QUICKSTART, ...sets, '--quiet'], { cwd, timeoutMs: 240_000 });
    expect(res.stderr).not.toMatch(/FAILED/);
    expect(res.status).toBe(0);
    const runs = await store.listRuns('quickstart');
    parent = runs.find((r) => r.tags['crops.role'] === 'sweep')!;
    trials = runs.filter((r) => r.tags['mlflow.parentRunId'] === parent.runId);
    expect(trials).toHaveLength(4);
  }, 300_000);

  it('reports mean ± std over seeds of exactly the logged metrics, with Δ vs the baseline', () => {
    const res = runCli(['report', QUICKSTART], { cwd });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const out = join(cwd, 'reports', 'quickstart');
    expect(res.stdout).toContain('wrote 12 files to reports/quickstart/');
    expect(res.stdout).toMatch(/Method\s+n\s+recall@100\/ct\s+Δ/);

    const rows = readCsv(join(out, 'report.csv'));
    expect(rows).toHaveLength(GROUPS.length * METRICS.length);
    const logged = (group: string, key: string) =>
      trials.filter((t) => t.tags['crops.trialId']!.startsWith(`${group},seed=`)).map((t) => t.metrics[key]!.value);
    for (const [label, key] of METRICS) {
      const base = meanOf(logged(GROUPS[0]!, key));
      for (const group of GROUPS) {
        const row = rows.find((r) => r.trial_group === group && r.metric === label)!;
        const values = logged(group, key);
        expect(values).toHaveLength(2);
        expect(row.n).toBe('2');
        expect(Number(row.mean)).toBeCloseTo(meanOf(values), 12);
        expect(Number(row.std)).toBeCloseTo(stdOf(values), 12);
        // two seeds: t(0.975, 1) = 12.7062
        expect(Number(row.ci95_high) - Number(row.mean)).toBeCloseTo((12.7062047 * stdOf(values)) / Math.SQRT2, 6);
        expect(row.baseline).toBe(String(group === GROUPS[0]));
        if (group !== GROUPS[0]) expect(Number(row.delta)).toBeCloseTo(meanOf(values) - base, 12);
      }
      const md = readFileSync(join(out, 'report.md'), 'utf8');
      const hla = meanOf(logged(GROUPS[1]!, key));
      expect(md).toContain(`${(hla * 100).toFixed(2)}`);
    }
    // each trial's per-query values average to the metric it logged, and the report's test is the
    // paired test on the seed-averaged values of the two rows
    const perQuery = (t: StoredRun) => parsePerQuery(readFileSync(join(store.root, t.experimentId, t.runId, 'artifacts', PER_QUERY_ARTIFACT), 'utf8'));
    const ofGroup = (group: string) => trials.filter((t) => t.tags['crops.trialId']!.startsWith(`${group},seed=`));
    for (const [label, key] of METRICS) {
      for (const t of trials) expect(meanOf([...perQuery(t).get(label)!.values()]), `${t.runName} ${label}`).toBeCloseTo(t.metrics[key]!.value, 12);
      const seedMeans = (group: string) => {
        const maps = ofGroup(group).map((t) => perQuery(t).get(label)!);
        return [...maps[0]!.keys()].map((q) => meanOf(maps.map((m) => m.get(q)!)));
      };
      const expected = pairedRandomizationTest(seedMeans(GROUPS[1]!), seedMeans(GROUPS[0]!), { seed: `test|${label}|${GROUPS[1]}|${GROUPS[0]}` });
      const row = rows.find((r) => r.trial_group === GROUPS[1] && r.metric === label)!;
      expect(Number(row.p_value)).toBe(expected.p);
      // one row against the baseline: Holm changes nothing
      expect(Number(row.p_holm)).toBe(expected.p);
      expect(row.significant).toBe(String(expected.p < 0.05));
      expect(Number(row.queries)).toBe(seedMeans(GROUPS[0]!).length);
    }
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain("p-values after Holm's correction");
    expect(readFileSync(join(out, 'report.tex'), 'utf8')).toContain('\\toprule');
    for (const chart of ['recall_at_100-ct', 'recall_at_100-qr', 'ndcg_at_4-judged', 'recall_at_k-ct', 'recall_at_k-qr', 'ndcg_at_k-judged', 'train-loss', 'train-temperature']) {
      expect(readFileSync(join(out, 'charts', `${chart}.svg`), 'utf8')).toMatch(/^<svg /);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(8);
    expect(html).toContain('use: synthetic-world');
    expect(html).not.toMatch(/<script|<link|src="http/);
    firstCsv = readFileSync(join(out, 'report.csv'), 'utf8');
    const artifacts = join(store.root, parent.experimentId, parent.runId, 'artifacts', 'report');
    expect(readFileSync(join(artifacts, 'report.csv'), 'utf8')).toBe(firstCsv);
    expect(existsSync(join(artifacts, 'charts', 'train-loss.svg'))).toBe(true);
  }, 120_000);

  it('reports the same sweep by run id and by run directory', () => {
    const byId = runCli(['report', parent.runId, '--out', 'by-id', '--no-charts'], { cwd });
    expect(byId.status).toBe(0);
    expect(readFileSync(join(cwd, 'by-id', 'report.csv'), 'utf8')).toBe(firstCsv);
    expect(existsSync(join(cwd, 'by-id', 'charts'))).toBe(false);
    const byDir = runCli(['report', join('mlruns', parent.experimentId, parent.runId), '--out', 'by-dir', '--no-charts'], { cwd });
    expect(byDir.status).toBe(0);
    expect(readFileSync(join(cwd, 'by-dir', 'report.csv'), 'utf8')).toBe(firstCsv);
  }, 180_000);

  it('still reports every trial after a re-run that reused them all, from the existing sweep run', async () => {
    const rerun = runCli(['run', QUICKSTART, ...sets, '--quiet'], { cwd, timeoutMs: 120_000 });
    expect(rerun.status).toBe(0);
    expect(rerun.stdout.match(/ skipped$/gm)).toHaveLength(4);
    expect(rerun.stdout).toContain(`no new sweep run (existing sweep run ${parent.runId}`);
    const res = runCli(['report', QUICKSTART, '--no-charts', '--world'], { cwd });
    expect(res.status).toBe(0);
    // a re-run that ran nothing recorded nothing: the latest sweep run is still the first one
    const sweeps = (await store.listRuns('quickstart')).filter((r) => r.tags['crops.role'] === 'sweep');
    expect(sweeps.map((r) => r.runId)).toEqual([parent.runId]);
    expect(res.stdout).toContain(`sweep run ${parent.runId}`);
    expect(readFileSync(join(cwd, 'reports', 'quickstart', 'report.csv'), 'utf8')).toBe(firstCsv);
    // --world describes the simulated logs the trials trained on
    expect(readFileSync(join(cwd, 'reports', 'quickstart', 'report.html'), 'utf8')).toMatch(/<h2>Simulated world<\/h2>\n<h3>synthetic-world [^<]*tiny[^<]*<\/h3><table>.*<td>items<\/td>/s);
  }, 300_000);

  it('records a sweep run for a file whose trials all finished under another file, once, so that it can be reported', async () => {
    // the second seed of the same experiment, as a file of its own: every trial is a run of the first file's sweep
    writeFileSync(join(cwd, 'second-seed.yaml'), `extends: ${QUICKSTART}\nseeds: [2]\ntrain: { steps: 12, logEvery: 3 }\n`);
    const first = runCli(['run', 'second-seed.yaml', '--quiet'], { cwd, timeoutMs: 120_000 });
    expect(first.status).toBe(0);
    expect(first.stdout.match(/ skipped$/gm)).toHaveLength(2);
    const sweeps = (await store.listRuns('quickstart')).filter((r) => r.tags['crops.role'] === 'sweep');
    expect(sweeps).toHaveLength(2);
    const own = sweeps.find((r) => r.runId !== parent.runId)!;
    expect(own.status).toBe('FINISHED');
    expect(own.tags['crops.experimentFile']).toBe('second-seed.yaml');
    // it trained nothing: no child runs, only the manifest naming the first sweep's seed-2 runs
    expect((await store.listRuns('quickstart')).filter((r) => r.tags['mlflow.parentRunId'] === own.runId)).toEqual([]);
    expect(first.stdout).toContain(`runs written to`);
    expect(first.stdout).toContain(`(sweep run ${own.runId})`);

    // a file of the experiment not named after it reports to a folder of its own, beside the quickstart's
    const res = runCli(['report', 'second-seed.yaml', '--no-charts'], { cwd });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`sweep run ${own.runId}`);
    expect(res.stdout).toContain('files to reports/quickstart/second-seed/');
    expect(readFileSync(join(cwd, 'reports', 'quickstart', 'report.csv'), 'utf8')).toBe(firstCsv);
    const rows = readCsv(join(cwd, 'reports', 'quickstart', 'second-seed', 'report.csv'));
    expect(rows).toHaveLength(GROUPS.length * METRICS.length);
    for (const [label, key] of METRICS) {
      for (const group of GROUPS) {
        const row = rows.find((r) => r.trial_group === group && r.metric === label)!;
        const seed2 = trials.find((t) => t.tags['crops.trialId'] === `${group},seed=2`)!;
        expect(row.n).toBe('1');
        expect(Number(row.mean)).toBeCloseTo(seed2.metrics[key]!.value, 12);
      }
    }

    // once the file has its sweep run, a re-run records nothing more
    const again = runCli(['run', 'second-seed.yaml', '--quiet'], { cwd, timeoutMs: 120_000 });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`no new sweep run (existing sweep run`);
    expect(again.stdout).not.toContain('this sweep covered');
    expect((await store.listRuns('quickstart')).filter((r) => r.tags['crops.role'] === 'sweep')).toHaveLength(2);
  }, 300_000);

  it('keeps reporting the sweep of the whole file after a later --only sweep of part of it', async () => {
    const part = runCli(['run', QUICKSTART, ...sets, '--only', 'hla', '--force', '--quiet'], { cwd, timeoutMs: 120_000 });
    expect(part.status).toBe(0);
    // it says it covered part of the file, and how to report the parts together
    expect(part.stdout).toMatch(/this sweep covered [1-9]\d* of the file's \d+ trials \(--only hla\); once the other parts have run, `crops run \S*quickstart\.yaml` without --only trains only the unfinished trials/);
    const sweeps = (await store.listRuns('quickstart')).filter((r) => r.tags['crops.role'] === 'sweep' && r.tags['crops.experimentFile']?.endsWith('quickstart.yaml'));
    expect(sweeps).toHaveLength(2);
    // the part is not tagged as the file's sweep, so the report and a re-run still find the whole one
    expect(sweeps.map((r) => r.tags['crops.sweepHash'] !== undefined)).toEqual([true, false]);
    const res = runCli(['report', QUICKSTART, ...sets, '--no-charts', '--out', 'after-part'], { cwd });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`sweep run ${parent.runId}`);
    expect(readCsv(join(cwd, 'after-part', 'report.csv'))).toHaveLength(GROUPS.length * METRICS.length);
  }, 300_000);

  it('says what is wrong when there is nothing to report', () => {
    const res = runCli(['report', 'no-such-run'], { cwd });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("'no-such-run' is neither an experiment file nor a run in");
    // the tracker plugin says whether it keeps MLflow runs; 'none' does not
    const untracked = runCli(['report', QUICKSTART, '--set', 'tracker=none'], { cwd });
    expect(untracked.status).toBe(2);
    expect(untracked.stderr).toContain("uses tracker 'none', which keeps no runs to report");
  });
});

describe('crops report marks a real planted difference and not a null one', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-signif-'));
  // three rows on one world: the baseline and an identical system evaluated in smaller query
  // batches (a null: the same rankings) are untrained towers; the third row is trained (the planted effect)
  writeFileSync(
    join(cwd, 'signif.yaml'),
    `extends: ${resolve('experiments/_base/tiny-world.yaml')}
name: signif
seeds: [1]
labelScheme: binary
loss: { use: info-nce, params: { temperature: 0.05 } }
ablate:
  zip:
    label: [untrained, untrained-batch64, trained]
    train.steps: [0, 0, 60]
    eval.queryBatch: [256, 64, 256]
report:
  baseline: untrained
`,
  );

  it('gives the trained row † in every format and the null row none', () => {
    const run = runCli(['run', 'signif.yaml', '--quiet'], { cwd, timeoutMs: 240_000 });
    expect(run.status, run.stderr).toBe(0);
    const res = runCli(['report', 'signif.yaml', '--no-charts'], { cwd });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^trained +1 +[\d.]+\* +\+[\d.]+ \(\+[\d.]+%\)†/m);
    expect(res.stdout).toMatch(/^untrained-batch64 +1 +[\d.]+ +\+0\.00 \(\+0\.0%\) /m);
    const out = join(cwd, 'reports', 'signif');
    const rows = readCsv(join(out, 'report.csv'));
    for (const metric of ['recall@100/ct', 'recall@100/qr', 'ndcg@4/judged']) {
      const trained = rows.find((r) => r.method === 'trained' && r.metric === metric)!;
      const same = rows.find((r) => r.method === 'untrained-batch64' && r.metric === metric)!;
      expect(trained.significant, metric).toBe('true');
      expect(Number(trained.p_holm)).toBeLessThan(0.05);
      expect(trained.best).toBe('true');
      expect(same.significant, metric).toBe('false');
      expect(Number(same.p_value)).toBe(1);
      // one seed: the tables show the query bootstrap interval
      expect(trained.ci_shown).toBe('queries');
      expect(Number(trained.query_ci95_low)).toBeLessThan(Number(trained.mean));
      expect(Number(trained.query_ci95_high)).toBeGreaterThan(Number(trained.mean));
    }
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| trained \| 1 \| \*\*[\d.]+\*\* \| \+[\d.]+ \(\+[\d.]+%\)† \|/);
    expect(md).not.toMatch(/\| untrained-batch64 \|[^\n]*†/);
    expect(readFileSync(join(out, 'report.tex'), 'utf8')).toMatch(/trained & 1 & \\textbf\{[\d.]+\} & \$\+\$[\d.]+ \(\$\+\$[\d.]+\\%\)\$\^\{\\dagger\}\$/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/<td>trained<\/td><td>1<\/td><td><strong>[\d.]+<\/strong><\/td><td>\+[\d.]+ \(\+[\d.]+%\)†<\/td>/);
  }, 300_000);
});
