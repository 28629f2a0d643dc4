import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowRestClient } from '../src/tracking/rest-client.ts';
import { BIN as CLI, runCli, spawnCli } from './support/cli.ts';
import { startMlflowServer, type MlflowServer } from './support/mlflow-server.ts';

let server: MlflowServer;
beforeAll(async () => {
  server = await startMlflowServer();
}, 300_000);
afterAll(async () => {
  await server?.stop();
});

describe('an MLflow outage that spans the end of a trial', () => {
  it('keeps the process alive, says what is spooled and how to send it, goes on, and push closes every run', { timeout: 420_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-outage-'));
    const child = spawnCli([CLI, 'run', resolve('experiments/quickstart.yaml'), '--set', 'tracker={use: mlflow, params: {offlineWaitSeconds: 3}}', '--set', 'train.steps=20'], {
      cwd,
      env: { ...process.env, MLFLOW_TRACKING_URI: server.url },
    });
    let out = '';
    let killing: Promise<void> | undefined;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      // the server dies while trial 1 trains, so the trial's end falls into the outage
      if (!killing && out.includes('training')) killing = server.kill();
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    await killing;
    // before: exit code 13 (Node's unsettled await), no message, no table
    expect(code, out).toBe(1);
    expect(out).toMatch(/write\(s\) could not reach .* kept in .*spool.*crops push --to /s);
    expect(out).toMatch(/labelScheme=binary,loss=info-nce\s+\d+\.\d+\s+\d+\.\d+\s+\d+\.\d+\s+finished/);
    expect(out).toMatch(/\[2\/2\] labelScheme=hla,loss=h-info-nce {2}FAILED: not started: the tracker could not create its run/);

    await server.start();
    const pushed = runCli(['push', '--to', server.url], { cwd, timeoutMs: 120_000 });
    expect(pushed.status, pushed.stdout + pushed.stderr).toBe(0);
    const client = new MlflowRestClient(server.url);
    const runs = await client.searchRuns([(await client.getExperimentId('quickstart'))!]);
    const status = Object.fromEntries(runs.map((r) => [r.info.run_name, r.info.status]));
    expect(status).toEqual({ 'quickstart (2 trials)': 'FAILED', 'labelScheme=binary,loss=info-nce': 'FINISHED' });
    const trial = runs.find((r) => r.info.run_name === 'labelScheme=binary,loss=info-nce')!;
    expect((trial.data.metrics ?? []).map((m) => m.key)).toContain('recall_at_100/ct');
  });
});
