import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowFileStore } from '../src/tracking/file-store.ts';
import { runCli } from './support/cli.ts';

const QUICKSTART = resolve('experiments/quickstart.yaml');
const SHORT = 'train: { steps: 12, logEvery: 3 }\n';

/** `crops run` and `crops report` over several files, as `crops run experiments/paper/*.yaml` does. */
describe('several experiment files in one command, through the real CLI', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-multi-'));
  // two files of the quickstart experiment: the second holds the first's trials and two more
  writeFileSync(join(cwd, 'first.yaml'), `extends: ${QUICKSTART}\nseeds: [1]\n${SHORT}`);
  writeFileSync(join(cwd, 'second.yaml'), `extends: ${QUICKSTART}\nseeds: [1, 2]\n${SHORT}`);
  writeFileSync(join(cwd, 'typo.yaml'), `extends: ${QUICKSTART}\ntrain: { stepz: 12 }\n`);
  writeFileSync(join(cwd, 'never.yaml'), `extends: ${QUICKSTART}\nname: never-run\n${SHORT}`);
  const store = new MlflowFileStore(join(cwd, 'mlruns'));

  it('validates every file before it trains anything', () => {
    const res = runCli(['run', 'first.yaml', 'typo.yaml', '--quiet'], { cwd, timeoutMs: 120_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/typo\.yaml:2:\d+/);
    expect(res.stderr).toContain('in 1 of 2 files; nothing was run');
    expect(existsSync(join(cwd, 'mlruns'))).toBe(false);
  }, 180_000);

  it('runs the files in turn, training a trial they share once', async () => {
    const res = runCli(['run', 'first.yaml', 'second.yaml', '--quiet'], { cwd, timeoutMs: 240_000 });
    expect(res.stderr).not.toMatch(/FAILED/);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('== first.yaml (1 of 2) ==');
    expect(res.stdout).toContain('== second.yaml (2 of 2) ==');
    expect(res.stdout).toContain('2 files: first.yaml: done; second.yaml: done');
    const runs = await store.listRuns('quickstart');
    const sweeps = runs.filter((r) => r.tags['crops.role'] === 'sweep');
    expect(sweeps.map((r) => r.tags['crops.experimentFile']).sort()).toEqual(['first.yaml', 'second.yaml']);
    // 4 trials in all: the second file reused the first file's two
    expect(runs.filter((r) => r.tags['crops.role'] !== 'sweep')).toHaveLength(4);
  }, 300_000);

  it('reports each file to its own folder, and names a target it cannot report without losing the others', () => {
    const both = runCli(['report', 'first.yaml', 'second.yaml', '--no-charts'], { cwd, timeoutMs: 120_000 });
    expect(both.status).toBe(0);
    expect(existsSync(join(cwd, 'reports', 'quickstart', 'first', 'report.csv'))).toBe(true);
    expect(existsSync(join(cwd, 'reports', 'quickstart', 'second', 'report.csv'))).toBe(true);

    const oneMissing = runCli(['report', 'never.yaml', 'first.yaml', '--no-charts', '--out', 'x'], { cwd });
    expect(oneMissing.status).toBe(2);
    expect(oneMissing.stderr).toContain('--out names the folder of one report (got 2 targets)');
    const partly = runCli(['report', 'never.yaml', 'first.yaml', '--no-charts'], { cwd, timeoutMs: 120_000 });
    expect(partly.status).toBe(2);
    expect(partly.stderr).toContain("no sweep of never.yaml (experiment 'never-run')");
    expect(partly.stderr).toContain('not reported (1 of 2): never.yaml');
    expect(partly.stdout).toContain('files to reports/quickstart/first/');
  }, 240_000);
});
