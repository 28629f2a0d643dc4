import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import descriptor from '../plugins/tracker/mlflow-tracker.ts';
import { pushCommand } from '../src/cli/push-command.ts';
import { FileStoreTracker } from '../src/tracking/file-store-tracker.ts';
import { PUSHED_FROM } from '../src/tracking/push.ts';
import { MlflowRestClient, type RestRun } from '../src/tracking/rest-client.ts';
import { RestTracker, type RestTrackerOptions } from '../src/tracking/rest-tracker.ts';
import { RestSweepReader } from '../src/tracking/rest-sweep-reader.ts';
import { describeTrackerConformance } from './conformance/infra-conformance.ts';
import { runCli } from './support/cli.ts';
import { FaultProxy } from './support/fault-proxy.ts';
import { REPO_ROOT } from './support/mlflow-python.ts';
import { startMlflowServer, type MlflowServer } from './support/mlflow-server.ts';

// one server for the whole file: starting MLflow costs 10-30 s
let server: MlflowServer;
let dir: string;
let direct: MlflowRestClient;

beforeAll(async () => {
  [server, dir] = await Promise.all([startMlflowServer(), mkdtemp(join(tmpdir(), 'crops-mlflow-rest-'))]);
  direct = new MlflowRestClient(server.url);
}, 300_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const TREC = 'q1 Q0 item-7 1 0.93 crops\nq1 Q0 item-2 2 0.81 crops\n';
const FAST_RETRY = { attempts: 4, baseDelayMs: 20, maxDelayMs: 200 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function tracker(trackingUri: string, extra: Partial<RestTrackerOptions> = {}): RestTracker {
  return new RestTracker({ trackingUri, spoolDir: join(dir, 'spool'), flushEvery: 50, flushMs: 100, offlineWaitMs: 60_000, retry: FAST_RETRY, ...extra });
}

async function runsOf(experiment: string): Promise<RestRun[]> {
  const id = await direct.getExperimentId(experiment);
  return id ? direct.searchRuns([id]) : [];
}

const tagsOf = (r: RestRun) => Object.fromEntries((r.data.tags ?? []).map((t) => [t.key, t.value]));
const paramsOf = (r: RestRun) => Object.fromEntries((r.data.params ?? []).map((t) => [t.key, t.value]));

function capture() {
  const io = { text: '', out: (s: string) => void (io.text += s), err: (s: string) => void (io.text += s) };
  return io;
}

describe('the REST tracker against a real mlflow server', () => {
  it('logs a sweep that reads back through the REST API, nested, with long params and artifacts', async () => {
    const t = tracker(server.url);
    const name = 'rest sweep';
    const parent = await t.startRun({ experimentName: name, runName: 'sweep', tags: { 'crops.role': 'sweep', 'crops.sweepHash': 's1' }, params: { 'sweep.trials': '2' } });
    const many = Object.fromEntries(range(150).map((i) => [`p.${i}`, String(i)]));
    const long = `${'x'.repeat(700)}end`;
    const good = await t.startRun({ experimentName: name, runName: 'seed=1', parent, params: { ...many, 'notes.long': long }, tags: { 'crops.configHash': 'h1' } });
    const bad = await t.startRun({ experimentName: name, runName: 'seed=2', parent, tags: { 'crops.configHash': 'h2' } });
    for (let step = 0; step < 120; step++) t.logMetrics(good, [{ key: 'train/loss', value: 1 / (step + 1), step, timestamp: 1_700_000_000_000 + step }]);
    t.logMetrics(bad, [{ key: 'train/grad_norm', value: NaN, step: 0 }]);
    await t.logArtifact(good, 'trec/ct.run', TREC);
    await t.logArtifact(good, 'weights/w.bin', new Uint8Array([0, 1, 2, 255]));
    await expect(t.logParams(good, { 'p.1': '2' })).rejects.toThrow(/write-once/);
    await t.logParams(good, { 'p.1': '1' });
    expect(() => t.logMetrics(good, [{ key: 'recall@100', value: 1, step: 0 }])).toThrow(/invalid MLflow metric key/);
    await t.endRun(good, 'FINISHED');
    await t.endRun(bad, 'FAILED');
    await t.endRun(parent, 'FINISHED');
    await t.flush();
    expect(t.pending()).toBe(0);
    expect((await readdir(join(dir, 'spool'))).filter((f) => f.endsWith('.jsonl'))).toEqual([]);

    const runs = new Map((await runsOf(name)).map((r) => [r.info.run_id, r]));
    expect([...runs.keys()].sort()).toEqual([parent.runId, good.runId, bad.runId].sort());
    expect([parent, good, bad].map((r) => runs.get(r.runId)!.info.status)).toEqual(['FINISHED', 'FINISHED', 'FAILED']);
    const children = await direct.searchRuns([parent.experimentId], `tags.mlflow.parentRunId = '${parent.runId}'`);
    expect(children.map((r) => r.info.run_id).sort()).toEqual([good.runId, bad.runId].sort());
    const g = runs.get(good.runId)!;
    expect(g.info.run_name).toBe('seed=1');
    expect(tagsOf(g)).toMatchObject({ 'mlflow.parentRunId': parent.runId, 'crops.configHash': 'h1', 'mlflow.source.type': 'LOCAL' });
    expect(tagsOf(g)['mlflow.user']).toBeTruthy();
    const params = paramsOf(g);
    expect(Object.keys(params)).toHaveLength(151);
    expect(params['p.149']).toBe('149');
    expect(params['notes.long']).toMatch(/^sha256:[0-9a-f]{64}$/);
    const text = async (path: string) => new TextDecoder().decode(await direct.downloadArtifact(g.info.artifact_uri, path));
    expect(await text('params/notes.long.txt')).toBe(long);
    expect(await text('trec/ct.run')).toBe(TREC);
    expect([...(await direct.downloadArtifact(g.info.artifact_uri, 'weights/w.bin'))]).toEqual([0, 1, 2, 255]);
    const history = await direct.metricHistory(good.runId, 'train/loss');
    expect(history.map((p) => [p.step, p.value, p.timestamp]).sort((x, y) => x[0]! - y[0]!)).toEqual(range(120).map((s) => [s, 1 / (s + 1), 1_700_000_000_000 + s]));
    expect((await direct.metricHistory(bad.runId, 'train/grad_norm')).map((p) => [p.step, p.value])).toEqual([[0, NaN]]);

    const found = await t.findFinished(name, 'h1');
    expect(found?.run).toEqual(good);
    expect(found?.metrics['train/loss']).toBe(1 / 120);
    expect(await t.findFinished(name, 'h2')).toBeUndefined();
    expect(await t.findFinished('no such experiment', 'h1')).toBeUndefined();
    // a sweep run by its file's hash: a file whose trials all ran under other files gets one only when this finds none
    expect(await t.findSweep(name, 's1')).toEqual(parent);
    expect(await t.findSweep(name, 's2')).toBeUndefined();
    expect(await t.findSweep('no such experiment', 's1')).toBeUndefined();
  }, 120_000);

  it('loses no metric point and stores none twice when the server is killed mid-sweep and restarted', async () => {
    const t = tracker(server.url, { flushEvery: 10, flushMs: 50 });
    const run = await t.startRun({ experimentName: 'outage', runName: 'trial', params: { seed: '1' } });
    let slowest = 0;
    let restarted: Promise<void> | undefined;
    for (let step = 0; step < 100; step++) {
      if (step === 30) await server.kill();
      if (step === 60) restarted = server.start();
      const t0 = performance.now();
      t.logMetrics(run, [{ key: 'train/loss', value: step / 7, step }]);
      slowest = Math.max(slowest, performance.now() - t0);
      if (step === 45) {
        await t.setTags(run, { 'crops.note': 'logged while the server was down' });
        await t.logArtifact(run, 'outage.txt', 'kept in the spool');
      }
      await sleep(4);
    }
    await restarted;
    await t.endRun(run, 'FINISHED');
    expect(t.pending()).toBe(0);
    // logging is a push to memory, never a wait for the network
    expect(slowest).toBeLessThan(100);
    const loss = await direct.metricHistory(run.runId, 'train/loss');
    expect(loss).toHaveLength(100);
    expect(loss.map((p) => p.step).sort((a, b) => a - b)).toEqual(range(100));
    const back = await direct.getRun(run.runId);
    expect(back.info.status).toBe('FINISHED');
    expect(tagsOf(back)['crops.note']).toBe('logged while the server was down');
    expect(paramsOf(back)).toEqual({ seed: '1' });
    expect(new TextDecoder().decode(await direct.downloadArtifact(back.info.artifact_uri, 'outage.txt'))).toBe('kept in the spool');
  }, 180_000);

  it('retries through 500s injected before and after the server did the work, without duplicates', async () => {
    // residues 1, 2, 4, 6, 7, 10 of 12 fail: never more than two requests in a row
    const proxy = new FaultProxy(server.url, (n) => (n % 3 === 1 ? 'fail-before' : n % 4 === 2 ? 'fail-after' : 'pass'));
    await proxy.start();
    try {
      const t = tracker(proxy.url);
      const parent = await t.startRun({ experimentName: 'faults', runName: 'sweep' });
      const child = await t.startRun({ experimentName: 'faults', runName: 'trial', parent, params: { a: '1', b: '2' }, tags: { 'crops.configHash': 'f1' } });
      for (let step = 0; step < 150; step++) t.logMetrics(child, [{ key: 'train/loss', value: Math.cos(step), step }]);
      await t.logArtifact(child, 'config.yaml', 'a: 1\n');
      await t.endRun(child, 'FINISHED');
      await t.endRun(parent, 'FINISHED');
      expect((await t.findFinished('faults', 'f1'))?.run).toEqual(child);
      expect(proxy.counts['fail-before']).toBeGreaterThan(3);
      expect(proxy.counts['fail-after']).toBeGreaterThan(3);
    } finally {
      await proxy.stop();
    }
    const runs = await runsOf('faults');
    expect(runs.map((r) => r.info.run_name).sort()).toEqual(['sweep', 'trial']);
    const child = runs.find((r) => r.info.run_name === 'trial')!;
    expect(child.info.status).toBe('FINISHED');
    expect(paramsOf(child)).toEqual({ a: '1', b: '2' });
    const history = await direct.metricHistory(child.info.run_id, 'train/loss');
    expect(history.map((p) => [p.step, p.value]).sort((x, y) => x[0]! - y[0]!)).toEqual(range(150).map((s) => [s, Math.cos(s)]));
    expect(new TextDecoder().decode(await direct.downloadArtifact(child.info.artifact_uri, 'config.yaml'))).toBe('a: 1\n');
  }, 120_000);

  it('keeps writes in the spool while the server is unreachable, and `crops push` delivers them', async () => {
    let down = false;
    const proxy = new FaultProxy(server.url, () => (down ? 'down' : 'pass'));
    await proxy.start();
    const spoolDir = join(dir, 'spool-offline');
    const warnings: string[] = [];
    try {
      const t = tracker(proxy.url, { spoolDir, offlineWaitMs: 1_000, logger: { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m) } });
      const run = await t.startRun({ experimentName: 'offline', runName: 'trial' });
      down = true;
      for (let step = 0; step < 30; step++) t.logMetrics(run, [{ key: 'train/loss', value: step, step }]);
      await t.logParams(run, { lr: '0.1' });
      await t.logArtifact(run, 'trec/ct.run', TREC);
      await t.endRun(run, 'FINISHED');
      expect(t.pending()).toBeGreaterThan(0);
      expect(warnings.join('\n')).toContain(`crops push --to ${proxy.url}`);
      expect(await readdir(spoolDir)).toContain(`${run.runId}.jsonl`);

      down = false;
      const io = capture();
      expect(await pushCommand({ to: proxy.url, spool: spoolDir }, io), io.text).toBe(0);
      expect(io.text).toMatch(/spool: sent \d+ write\(s\) of 1 run\(s\)/);
      const back = await direct.getRun(run.runId);
      expect(back.info.status).toBe('FINISHED');
      expect(paramsOf(back)).toEqual({ lr: '0.1' });
      expect((await direct.metricHistory(run.runId, 'train/loss')).map((p) => p.step).sort((a, b) => a - b)).toEqual(range(30));
      expect(new TextDecoder().decode(await direct.downloadArtifact(back.info.artifact_uri, 'trec/ct.run'))).toBe(TREC);
      expect((await readdir(spoolDir)).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    } finally {
      await proxy.stop();
    }
  }, 120_000);
});

describe('crops push from a file store', () => {
  it('copies runs with nesting, metrics and artifacts, and a second push adds nothing', async () => {
    const root = join(dir, 'mlruns');
    const local = new FileStoreTracker(root, { flushEvery: 100 });
    const parent = await local.startRun({ experimentName: 'pushed', runName: 'sweep', tags: { 'crops.role': 'sweep' } });
    const a = await local.startRun({ experimentName: 'pushed', runName: 'seed=1', parent, params: { seed: '1' }, tags: { 'crops.configHash': 'p1' } });
    const b = await local.startRun({ experimentName: 'pushed', runName: 'seed=2', parent, params: { seed: '2' } });
    for (let step = 0; step < 40; step++) local.logMetrics(a, [{ key: 'train/loss', value: 3 - step / 20, step, timestamp: 1_700_000_000_000 + step }]);
    local.logMetrics(b, [{ key: 'train/loss', value: NaN, step: 0, timestamp: 5 }]);
    await local.logArtifact(a, 'trec/ct.run', TREC);
    await local.endRun(a, 'FINISHED');
    await local.endRun(b, 'FAILED');
    await local.endRun(parent, 'FINISHED');

    const push = async () => {
      const io = capture();
      expect(await pushCommand({ from: root, to: server.url, spool: join(dir, 'no-spool') }, io), io.text).toBe(0);
      return io.text;
    };
    expect(await push()).toContain('3 run(s) copied, 0 completed, 0 already there; 41 metric point(s), 1 artifact file(s) sent');
    const runs = await runsOf('pushed');
    expect(runs).toHaveLength(3);
    const byName = new Map(runs.map((r) => [r.info.run_name, r]));
    const [sp, sa, sb] = ['sweep', 'seed=1', 'seed=2'].map((n) => byName.get(n)!);
    expect([sp!.info.status, sa!.info.status, sb!.info.status]).toEqual(['FINISHED', 'FINISHED', 'FAILED']);
    expect(tagsOf(sa!)).toMatchObject({ 'mlflow.parentRunId': sp!.info.run_id, [PUSHED_FROM]: a.runId, 'crops.configHash': 'p1' });
    expect(tagsOf(sb!)['mlflow.parentRunId']).toBe(sp!.info.run_id);
    expect(paramsOf(sa!)).toEqual({ seed: '1' });
    const history = await direct.metricHistory(sa!.info.run_id, 'train/loss');
    expect(history.map((p) => [p.step, p.value, p.timestamp])).toEqual(range(40).map((s) => [s, 3 - s / 20, 1_700_000_000_000 + s]));
    expect((await direct.metricHistory(sb!.info.run_id, 'train/loss')).map((p) => [p.step, p.value])).toEqual([[0, NaN]]);
    expect(new TextDecoder().decode(await direct.downloadArtifact(sa!.info.artifact_uri, 'trec/ct.run'))).toBe(TREC);

    expect(await push()).toContain('0 run(s) copied, 0 completed, 3 already there; 0 metric point(s)');
    const again = await runsOf('pushed');
    expect(again).toHaveLength(3);
    expect(await direct.metricHistory(sa!.info.run_id, 'train/loss')).toHaveLength(40);
  }, 120_000);
});

describe('crops run against the server', () => {
  it('records the quickstart sweep with nested trials, and a re-run skips the finished trials', async () => {
    const cwd = await mkdtemp(join(dir, 'cli-'));
    const args = ['run', resolve(REPO_ROOT, 'experiments/quickstart.yaml'), '--set', 'train.steps=10'];
    const first = runCli(args, { cwd, env: { MLFLOW_TRACKING_URI: server.url }, timeoutMs: 150_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`runs written to ${server.url}`);
    const runs = await runsOf('quickstart');
    expect(runs).toHaveLength(3);
    const parent = runs.find((r) => tagsOf(r)['crops.role'] === 'sweep')!;
    const children = runs.filter((r) => r !== parent);
    expect(parent.info.status).toBe('FINISHED');
    expect(tagsOf(parent)['mlflow.source.name']).toContain('quickstart.yaml');
    for (const child of children) {
      expect(child.info.status).toBe('FINISHED');
      expect(tagsOf(child)['mlflow.parentRunId']).toBe(parent.info.run_id);
      expect(tagsOf(child)['crops.configHash']).toMatch(/^[0-9a-f]{16}$/);
      expect(paramsOf(child)['train.steps']).toBe('10');
      expect((await direct.metricHistory(child.info.run_id, 'train/loss')).length).toBeGreaterThan(0);
      expect(new TextDecoder().decode(await direct.downloadArtifact(child.info.artifact_uri, 'config.yaml'))).toContain('steps: 10');
      expect(new TextDecoder().decode(await direct.downloadArtifact(child.info.artifact_uri, 'trec/ct.run'))).toMatch(/^0 Q0 \d+ 1 /);
    }

    const second = runCli(args, { cwd, env: { MLFLOW_TRACKING_URI: server.url }, timeoutMs: 150_000 });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr.match(/skipped: finished before as run/g)).toHaveLength(2);
    const after = await runsOf('quickstart');
    expect(after.filter((r) => tagsOf(r)['crops.role'] !== 'sweep')).toHaveLength(2);

    // crops report reads the latest sweep (which reused both trials) back over REST and attaches its files there
    const report = runCli(['report', resolve(REPO_ROOT, 'experiments/quickstart.yaml'), '--set', 'train.steps=10', '--no-charts', '--out', 'rep'], {
      cwd,
      env: { MLFLOW_TRACKING_URI: server.url },
      timeoutMs: 120_000,
    });
    expect(report.status, report.stderr).toBe(0);
    // fields with commas (the trial groups) are quoted
    const cells = (line: string) => [...line.matchAll(/"((?:[^"]|"")*)"|([^,]*)/g)].filter((m) => m.index === 0 || line[m.index - 1] === ',').map((m) => (m[1] ?? m[2] ?? '').replace(/""/g, '"'));
    const csv = (await readFile(join(cwd, 'rep', 'report.csv'), 'utf8')).trim().split('\n').slice(1).map(cells);
    for (const child of children) {
      const group = tagsOf(child)['crops.trialId']!.replace(/,seed=\d+$/, '');
      const row = csv.find((c) => c[1] === group && c[2] === 'recall@100/ct')!;
      const logged = child.data.metrics!.find((m) => m.key === 'recall_at_100/ct')!.value;
      expect(Number(row[4])).toBeCloseTo(Number(logged), 12);
    }
    const latestSweep = (await runsOf('quickstart')).filter((r) => tagsOf(r)['crops.role'] === 'sweep').sort((a, b) => Number(b.info.start_time) - Number(a.info.start_time))[0]!;
    expect(new TextDecoder().decode(await direct.downloadArtifact(latestSweep.info.artifact_uri, 'report/report.csv'))).toBe(await readFile(join(cwd, 'rep', 'report.csv'), 'utf8'));
    // a file's own sweep is found by its sweep hash tag on the server too
    const sweepReader = new RestSweepReader(new MlflowRestClient(server.url));
    const hash = tagsOf(latestSweep)['crops.sweepHash']!;
    expect(hash).toMatch(/^[0-9a-f]+$/);
    expect((await sweepReader.latestSweep('quickstart', hash))!.runId).toBe(latestSweep.info.run_id);
    expect(await sweepReader.latestSweep('quickstart', 'ffff')).toBeUndefined();
    // and by the name of the file it ran from, wherever that was typed from
    expect((await sweepReader.latestSweep('quickstart', undefined, '/elsewhere/experiments/quickstart.yaml'))!.runId).toBe(latestSweep.info.run_id);
    expect(await sweepReader.latestSweep('quickstart', undefined, 'experiments/other.yaml')).toBeUndefined();
  }, 240_000);
});

describeTrackerConformance(descriptor, (d) => ({ trackingUri: server.url, spoolDir: join(d, 'spool') }));
