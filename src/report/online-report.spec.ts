import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OnlineUserOutcome } from '../extension-points/dataset.ts';
import { compareArms, formatOnlineUsers, ONLINE_USERS_ARTIFACT } from '../eval/online-ab.ts';
import { FileSweepReader } from '../tracking/file-sweep-reader.ts';
import { MlflowFileStore } from '../tracking/file-store.ts';
import { formatOnlineLatex } from './latex-table.ts';
import { collectOnlineReports, onlineCsv, onlineMarkdown, onlineTerminal } from './online-report.ts';

let dir: string;
let store: MlflowFileStore;
let reader: FileSweepReader;
let experimentId: string;
let clock = 1_000;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crops-online-report-'));
  store = new MlflowFileStore(join(dir, 'mlruns'));
  reader = new FileSweepReader(store.root);
  experimentId = await store.getOrCreateExperiment('exp');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Users with a given number of clicks per 10 shown items (varying a little per user). */
const arm = (clicksPer10: number): OnlineUserOutcome[] =>
  Array.from({ length: 120 }, (_, userId) => ({ userId, sessions: 2, reformulations: userId % 3 === 0 ? 1 : 0, rankItems: 20, rankFromChannel: 6, shown: 10, shownFromChannel: 3, clicks: clicksPer10 + (userId % 2), longPlays: 1 }));

async function trial(id: string, seed: number, users: OnlineUserOutcome[] | undefined, control = 'loss=a') {
  const run = await store.createRun({ experimentId, runName: id, userId: 'u', startTime: clock++, tags: { 'crops.trialId': id, 'crops.seed': String(seed) }, params: { 'eval.online.control': control, 'eval.online.seed': '4', 'eval.online.resamples': '300' } });
  if (users) await store.writeArtifact(run, ONLINE_USERS_ARTIFACT, formatOnlineUsers(users));
  await store.endRun(run, 'FINISHED');
  return (await reader.getRun(run.runId))!;
}

describe('online A/B tables of crops report', () => {
  it('pairs each row with the control row of the same seed and shows a planted lift with † and a null without', async () => {
    const runs = [
      await trial('loss=a,seed=1', 1, arm(2)),
      await trial('loss=a,seed=2', 2, arm(3)),
      await trial('loss=b,seed=1', 1, arm(4)),
      await trial('loss=b,seed=2', 2, arm(3)),
    ];
    const [report] = await collectOnlineReports(reader, runs, { 'loss=b': 'B' });
    expect(report!.treatments.map((t) => [t.label, t.controlTrialId])).toEqual([
      ['B (seed=1)', 'loss=a,seed=1'],
      ['B (seed=2)', 'loss=a,seed=2'],
    ]);
    const lifted = report!.treatments[0]!.comparison;
    expect(lifted).toEqual(compareArms(arm(4), arm(2), { resamples: 300, seed: 4 }));
    expect(lifted.metrics.ctr.relative.ci[0]).toBeGreaterThan(0);
    const same = report!.treatments[1]!.comparison.metrics.ctr.relative;
    expect(same.value).toBe(0);
    const text = onlineTerminal([report!]);
    expect(text).toMatch(/B \(seed=1\).*\+\d+\.\d\d%† \[/);
    expect(text).toMatch(/B \(seed=2\).*\+0\.00% \[\+0\.00, \+0\.00\]/);
    // each paired control run has its own row, named by its seed, with its own rates
    expect(report!.controlArms.map((c) => [c.label, c.trialId])).toEqual([
      ['loss=a (control, seed=1)', 'loss=a,seed=1'],
      ['loss=a (control, seed=2)', 'loss=a,seed=2'],
    ]);
    expect(report!.controlArms[1]!.rates.ctr).toEqual(report!.treatments[1]!.comparison.metrics.ctr.control);
    expect(report!.controlArms[0]!.rates.ctr!.value).not.toBe(report!.controlArms[1]!.rates.ctr!.value);
    expect(text).toMatch(/^loss=a \(control, seed=2\) /m);
    expect(onlineMarkdown([report!])).toContain('## Simulated online A/B test against loss=a (120 users, day seed 4)');
    expect(onlineCsv([report!]).trim().split('\n')).toHaveLength(1 + 2 * 5);
  });

  it('summarises a row over its replicates with a t interval between them, next to the per-replicate intervals over users', async () => {
    const runs = [
      ...[1, 2, 3].map((seed) => ({ id: `loss=a,seed=${seed}`, seed, users: arm(2) })),
      { id: 'loss=b,seed=1', seed: 1, users: arm(4) },
      { id: 'loss=b,seed=2', seed: 2, users: arm(3) },
      { id: 'loss=b,seed=3', seed: 3, users: arm(2) },
    ];
    const read = [];
    for (const r of runs) read.push(await trial(r.id, r.seed, r.users));
    const [report] = await collectOnlineReports(reader, read, { 'loss=b': 'B' });
    expect(report!.overReplicates).toHaveLength(1);
    const pooled = report!.overReplicates[0]!;
    expect([pooled.label, pooled.replicates]).toEqual(['B', 3]);
    // the relative CTR lifts of the three replicates, and their mean and t interval by hand (t(0.975, 2) = 4.302652729911275)
    const lifts = report!.treatments.map((t) => t.comparison.metrics.ctr.relative.value);
    expect(lifts[2]).toBe(0);
    const m = (lifts[0]! + lifts[1]! + lifts[2]!) / 3;
    const sd = Math.sqrt(lifts.reduce((acc, x) => acc + (x - m) ** 2, 0) / 2);
    const half = 4.302652729911275 * (sd / Math.sqrt(3));
    expect(pooled.metrics.ctr.mean).toBeCloseTo(m, 14);
    expect(pooled.metrics.ctr.ci![0]).toBeCloseTo(m - half, 9);
    expect(pooled.metrics.ctr.ci![1]).toBeCloseTo(m + half, 9);
    // two replicates lift CTR beyond their user intervals, one does not move it
    expect([pooled.metrics.ctr.above, pooled.metrics.ctr.below]).toEqual([2, 0]);
    // three replicates this far apart do not give an interval that excludes 0
    expect(pooled.metrics.ctr.ci![0]).toBeLessThan(0);
    const text = onlineTerminal([report!]);
    expect(text).toContain('Over the replicates (worlds × training seeds)');
    expect(text).toMatch(/^B \(3 replicates\) .*\+\d+\.\d\d% \[-\d+\.\d\d, \+\d+\.\d\d\]; 2 up \/ 0 down/m);
    expect(onlineMarkdown([report!])).toMatch(/\| B \(3 replicates\) \|/);
    // LaTeX: one table environment per table, signs in math mode, % and † escaped
    const latex = formatOnlineLatex([report!]);
    expect(latex.match(/\\begin\{table\}/g)).toHaveLength(3);
    expect(latex).toContain('\\caption{Simulated online A/B test against loss=a (120 users, day seed 4): Over the replicates');
    expect(latex).toMatch(/B \(3 replicates\) & .*\$\+\$\d+\.\d\d\\% \[\$-\$\d+\.\d\d, \$\+\$\d+\.\d\d\]; 2 up \/ 0 down/);
    expect(latex).not.toMatch(/[^\\]%/);
  });

  it('has no summary over replicates for a row run once', async () => {
    const [report] = await collectOnlineReports(reader, [await trial('loss=a', 1, arm(2)), await trial('loss=b', 1, arm(3))]);
    expect(report!.overReplicates).toEqual([]);
    expect(onlineTerminal([report!])).not.toContain('Over the replicates');
  });

  it('names a row whose control arm is missing instead of dropping it silently', async () => {
    const runs = [await trial('loss=a', 1, undefined), await trial('loss=b', 1, arm(3))];
    const [report] = await collectOnlineReports(reader, runs);
    expect(report!.treatments).toEqual([]);
    expect(onlineTerminal([report!])).toContain('Left out of the online A/B test: loss=b: no finished control arm to pair it with (trial group loss=a missing).');
  });

  it('reports nothing for sweeps without eval.online', async () => {
    const run = await store.createRun({ experimentId, runName: 'x', userId: 'u', startTime: clock++, tags: { 'crops.trialId': 'x' } });
    expect(await collectOnlineReports(reader, [(await reader.getRun(run.runId))!])).toEqual([]);
  });
});
