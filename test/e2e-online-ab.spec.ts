import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { armRates, compareArms, ONLINE_METRICS, ONLINE_USERS_ARTIFACT, parseOnlineUsers } from '../src/eval/online-ab.ts';
import { MlflowFileStore, type StoredRun } from '../src/tracking/file-store.ts';
import { TAG } from '../src/tracking/run-tags.ts';
import { runCli } from './support/cli.ts';

const QUICKSTART = resolve('experiments/quickstart.yaml');
const CONTROL = 'labelScheme=binary,loss=info-nce';
const artifact = (run: StoredRun, path: string) => parseOnlineUsers(readFileSync(join(fileURLToPath(run.artifactUri), path), 'utf8'));

/** RFC 4180 fields of one CSV line (trial ids contain commas, so they come quoted). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(?:,|$)/g;
  for (let m = re.exec(line); m && m.index < line.length; m = re.exec(line)) fields.push(m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!);
  return fields;
}

async function sweep(cwd: string, online: string, steps: number): Promise<StoredRun[]> {
  const res = runCli(['run', QUICKSTART, '--set', `train.steps=${steps}`, '--set', `eval.online=${online}`, '--quiet'], { cwd, timeoutMs: 240_000 });
  expect(res.stderr).not.toMatch(/FAILED/);
  expect(res.status).toBe(0);
  const runs = await new MlflowFileStore(join(cwd, 'mlruns')).listRuns('quickstart');
  return runs.filter((r) => r.tags['crops.role'] !== 'sweep');
}

describe('simulated online A/B test through the real CLI', () => {
  it('control = a row of the sweep: every trial logs its arm, crops report pairs the arms by user', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-online-'));
    const trials = await sweep(cwd, `{control: "${CONTROL}", sessions: 600, resamples: 300, seed: 3}`, 10);
    expect(trials).toHaveLength(2);
    for (const t of trials) {
      const users = artifact(t, ONLINE_USERS_ARTIFACT);
      const rates = armRates(users);
      for (const m of ONLINE_METRICS) expect(t.metrics[`online/${m}`]!.value).toBeCloseTo(rates[m], 12);
      expect(rates.ratio_show).toBeGreaterThan(0);
    }
    const control = trials.find((t) => t.tags[TAG.trialId] === CONTROL)!;
    const treated = trials.find((t) => t !== control)!;
    const expected = compareArms(artifact(treated, ONLINE_USERS_ARTIFACT), artifact(control, ONLINE_USERS_ARTIFACT), { resamples: 300, seed: 3 });

    const res = runCli(['report', QUICKSTART], { cwd });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`Simulated online A/B test against ${CONTROL}`);
    const csv = readFileSync(join(cwd, 'reports', 'quickstart', 'online-ab.csv'), 'utf8').trim().split('\n');
    const head = csvFields(csv[0]!);
    const rows = csv.slice(1).map((l) => Object.fromEntries(csvFields(l).map((v, i) => [head[i]!, v])));
    expect(rows).toHaveLength(ONLINE_METRICS.length);
    for (const row of rows) {
      expect(row.control_trial).toBe(CONTROL);
      const m = expected.metrics[row.metric as (typeof ONLINE_METRICS)[number]];
      expect(Number(row.treatment)).toBeCloseTo(m.treatment.value, 12);
      expect(Number(row.control_value)).toBeCloseTo(m.control.value, 12);
      expect(Number(row.abs_low)).toBeCloseTo(m.absolute.ci[0], 12);
      expect(Number(row.abs_high)).toBeCloseTo(m.absolute.ci[1], 12);
    }
    expect(readFileSync(join(cwd, 'reports', 'quickstart', 'report.md'), 'utf8')).toContain('## Simulated online A/B test against');
    // the HTML page carries the same tables
    const html = readFileSync(join(cwd, 'reports', 'quickstart', 'report.html'), 'utf8');
    expect(html).toContain(`<h2>Simulated online A/B test against ${CONTROL}`);
    expect(html).toMatch(/<p>Treatment vs control, 95% bootstrap intervals over users:[^<]*<\/p>\s*<table>/);
    expect(html).toContain('<th>Ratio_show</th>');
  }, 300_000);
});
