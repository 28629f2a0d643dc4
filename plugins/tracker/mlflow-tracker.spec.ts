import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Container } from 'inversify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginParams } from '../../src/core/services.ts';
import { resolveTrackingUri } from '../../src/tracking/tracking-uri.ts';
import descriptor, { MlflowTracker } from './mlflow-tracker.ts';
import noneDescriptor, { NoneTracker } from './none-tracker.ts';
import { describeTrackerConformance } from '../../test/conformance/infra-conformance.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crops-mlflow-tracker-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tracker = (params: Record<string, unknown> = {}) => new MlflowTracker(descriptor.schema.parse({ trackingUri: join(dir, 'mlruns'), ...params }));
const metricFile = (t: MlflowTracker, run: { experimentId: string; runId: string }, key: string) =>
  readFile(join(t.location(), run.experimentId, run.runId, 'metrics', key), 'utf8').catch(() => '');

describe('tracking URI', () => {
  const env = {};
  it('accepts a path, a file: URI, $MLFLOW_TRACKING_URI, and defaults to ./mlruns', () => {
    expect(resolveTrackingUri('runs/here', env, '/work')).toEqual({ kind: 'file', root: '/work/runs/here' });
    expect(resolveTrackingUri(pathToFileURL('/srv/ml runs').href, env, '/work')).toEqual({ kind: 'file', root: '/srv/ml runs' });
    expect(resolveTrackingUri('file:/srv/x', env, '/work')).toEqual({ kind: 'file', root: '/srv/x' });
    expect(resolveTrackingUri('file:rel', env, '/work')).toEqual({ kind: 'file', root: '/work/rel' });
    expect(resolveTrackingUri(undefined, { MLFLOW_TRACKING_URI: '/from/env' }, '/work')).toEqual({ kind: 'file', root: '/from/env' });
    expect(resolveTrackingUri(undefined, env, '/work')).toEqual({ kind: 'file', root: '/work/mlruns' });
    expect(resolveTrackingUri('http://mlflow:5000', env)).toEqual({ kind: 'http', url: 'http://mlflow:5000' });
  });

  it('names unsupported schemes', () => {
    expect(() => resolveTrackingUri('sqlite:///mlflow.db', env)).toThrow(/unsupported scheme 'sqlite:'/);
  });

  it('talks to a server for an http(s) URI (the REST tracker, tested against a real server in test/mlflow-server.spec.ts)', () => {
    const t = tracker({ trackingUri: 'https://mlflow.example.org/' });
    expect(t.location()).toBe('https://mlflow.example.org');
    expect(t.store).toBeUndefined();
  });
});

describe('mlflow tracker plugin', () => {
  it('is a tracker named mlflow whose schema defaults every field and rejects unknown keys', () => {
    expect([descriptor.kind, descriptor.name, noneDescriptor.name]).toEqual(['tracker', 'mlflow', 'none']);
    expect(descriptor.schema.parse({})).toEqual({ flushEvery: 500, flushSeconds: 5, spoolDir: '.crops-cache/spool', offlineWaitSeconds: 120 });
    expect(() => descriptor.schema.parse({ uri: 'x' })).toThrow();
    expect(() => noneDescriptor.schema.parse({ x: 1 })).toThrow();
  });

  it('resolves from a container with only its params bound', async () => {
    const c = new Container();
    c.bind(PluginParams).toConstantValue(descriptor.schema.parse({ trackingUri: dir }));
    c.bind(MlflowTracker).toSelf();
    expect(c.get(MlflowTracker).location()).toBe(dir);
  });

  it('records a parent and a child run with MLflow system tags', async () => {
    const t = tracker();
    const parent = await t.startRun({ experimentName: 'sweep', runName: 'table3', tags: { 'crops.sweep': 'yes' } });
    const child = await t.startRun({ experimentName: 'sweep', runName: 'seed=1', parent, params: { seed: '1' }, tags: { 'crops.configHash': 'abc' } });
    await t.logParams(child, { 'loss.params.temperature': '0.05' });
    await t.setTags(child, { 'crops.backend': 'wasm' });
    await t.logArtifact(child, 'config.yaml', 'seed: 1\n');
    await t.endRun(child, 'FINISHED');
    await t.endRun(parent, 'FINISHED');

    const runs = await t.store!.listRuns('sweep');
    expect(runs.map((r) => r.runName)).toEqual(['table3', 'seed=1']);
    const back = runs[1]!;
    expect(back.tags).toMatchObject({
      'mlflow.runName': 'seed=1',
      'mlflow.parentRunId': parent.runId,
      'mlflow.user': userInfo().username,
      'mlflow.source.type': 'LOCAL',
      'crops.configHash': 'abc',
      'crops.backend': 'wasm',
    });
    expect(back.tags['mlflow.source.name']).toBeTruthy();
    expect(runs[0]!.tags['mlflow.parentRunId']).toBeUndefined();
    expect(back.params).toEqual({ seed: '1', 'loss.params.temperature': '0.05' });
    expect(back.status).toBe('FINISHED');
    expect(await readFile(join(t.location(), child.experimentId, child.runId, 'artifacts', 'config.yaml'), 'utf8')).toBe('seed: 1\n');
    expect((await t.findFinished('sweep', 'abc'))?.run).toEqual(child);
    expect(await t.findFinished('sweep', 'other')).toBeUndefined();
  });

  it('buffers metrics in memory until flush', async () => {
    const t = tracker();
    const run = await t.startRun({ experimentName: 'e', runName: 'r' });
    t.logMetrics(run, [{ key: 'train/loss', value: 1, step: 0, timestamp: 10 }]);
    t.logMetrics(run, [{ key: 'train/loss', value: 0.5, step: 1, timestamp: 11 }]);
    expect(await metricFile(t, run, 'train/loss')).toBe('');
    await t.flush();
    expect(await metricFile(t, run, 'train/loss')).toBe('10 1 0\n11 0.5 1\n');
  });

  it('writes in the background every flushEvery points, keeping step order', async () => {
    const t = tracker({ flushEvery: 4 });
    const run = await t.startRun({ experimentName: 'e', runName: 'r' });
    for (let step = 0; step < 10; step++) t.logMetrics(run, [{ key: 'loss', value: 10 - step, step }]);
    // 8 points crossed the threshold twice; the last 2 wait for flush
    for (let i = 0; i < 100 && (await metricFile(t, run, 'loss')).split('\n').length < 9; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await metricFile(t, run, 'loss')).trim().split('\n')).toHaveLength(8);
    await t.endRun(run, 'KILLED');
    const steps = (await metricFile(t, run, 'loss')).trim().split('\n').map((l) => Number(l.split(' ')[2]));
    expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await t.store!.getRun(run)).status).toBe('KILLED');
  });

  it('rejects a bad metric at once and reports a failed background write on the next flush or endRun', async () => {
    const t = tracker();
    const run = await t.startRun({ experimentName: 'e', runName: 'r' });
    expect(() => t.logMetrics(run, [{ key: 'recall@100', value: 1, step: 0 }])).toThrow(/invalid MLflow metric key/);
    await rm(join(t.location(), run.experimentId, run.runId), { recursive: true });
    t.logMetrics(run, [{ key: 'loss', value: 1, step: 0 }]);
    await expect(t.flush()).rejects.toThrow(/does not exist/);
    await expect(t.flush()).resolves.toBeUndefined();
    // the error is reported once more by endRun of another run, which still ends
    const other = await t.startRun({ experimentName: 'e', runName: 'other' });
    t.logMetrics(run, [{ key: 'loss', value: 2, step: 1 }]);
    await expect(t.endRun(other, 'FINISHED')).rejects.toThrow(/does not exist/);
    expect((await t.store!.getRun(other)).status).toBe('FINISHED');
  });

  it('returns the absolute store path as its location', () => {
    expect(tracker().location()).toBe(join(dir, 'mlruns'));
  });
});

describe('none tracker', () => {
  it('keeps runs in memory with the same checks and finds finished ones by config hash', async () => {
    const t = new NoneTracker();
    const parent = await t.startRun({ experimentName: 's', runName: 'p' });
    const child = await t.startRun({ experimentName: 's', runName: 'c', parent, params: { lr: '0.1' }, tags: { 'crops.configHash': 'h' } });
    t.logMetrics(child, [{ key: 'loss', value: 2, step: 3 }]);
    await t.logArtifact(child, 'a.txt', 'x');
    await expect(t.logParams(child, { lr: '0.2' })).rejects.toThrow(/write-once/);
    expect(() => t.logMetrics(child, [{ key: 'a@b', value: 1, step: 0 }])).toThrow(/invalid MLflow metric key/);
    expect(await t.findFinished('s', 'h')).toBeUndefined();
    await t.endRun(child, 'FINISHED');
    expect(await t.findFinished('s', 'h')).toEqual({ run: child, metrics: { loss: 2 }, tags: expect.objectContaining({ 'crops.configHash': 'h', 'mlflow.parentRunId': parent.runId }) });
    const [, c] = t.runs();
    expect(c).toMatchObject({ runName: 'c', status: 'FINISHED', params: { lr: '0.1' }, tags: { 'mlflow.parentRunId': parent.runId } });
    expect(c!.metrics).toEqual([{ key: 'loss', value: 2, step: 3, timestamp: expect.any(Number) }]);
    expect(t.location()).toBeUndefined();
  });
});

describeTrackerConformance(descriptor, (d) => ({ trackingUri: join(d, 'mlruns') }));
describeTrackerConformance(noneDescriptor);
