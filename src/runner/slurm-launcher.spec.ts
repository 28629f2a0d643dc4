import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadExperiment, type Experiment } from '../config/experiment.ts';
import { LauncherSettings, SlurmSettings } from '../config/launcher-settings.ts';
import { CropsError, formatDiagnostic } from '../core/errors.ts';
import { definePlugin, type PluginKind } from '../core/plugin.ts';
import { PluginRegistry } from '../core/registry.ts';
import { Progress } from './progress.ts';
import { SlurmLauncher } from './slurm-launcher.ts';

@injectable()
class Dummy {}

function registry(): PluginRegistry {
  const r = new PluginRegistry();
  const add = (kind: PluginKind, name: string, schema: z.ZodType = z.object({}).strict()) => r.register(definePlugin({ kind, name, summary: name, schema, implementation: Dummy }));
  add('dataset', 'toy');
  add('positiveSource', 'search-clicks');
  add('labelScheme', 'hla');
  add('sampler', 'in-batch');
  add('encoder', 'hash-mlp');
  add('loss', 'info-nce');
  add('retriever', 'dense-exact');
  add('tracker', 'mlflow', z.object({ trackingUri: z.string().optional() }).strict());
  add('backend', 'auto');
  for (const m of ['recall', 'ndcg']) add('metric', m);
  return r;
}

function files(entries: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'crops-launcher-'));
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
  return dir;
}

const load = (file: string, sets: string[] = []) => loadExperiment(file, { registry: registry(), sets });

describe('the launcher section', () => {
  it('is shared through extends, overridable with --set, and no part of any trial hash', () => {
    const dir = files({
      'cluster.yaml': 'launcher: { use: slurm, partition: gpu, time: "02:00:00", gres: "gpu:1", setup: [module load nodejs/20], sbatch: [--constraint=a100] }\n',
      'x.yaml': 'extends: ./cluster.yaml\ndataset: toy\n',
      'plain.yaml': 'dataset: toy\n',
    });
    const { experiment, diagnostics } = load(join(dir, 'x.yaml'), ['launcher.mem=16G']);
    expect(diagnostics).toEqual([]);
    expect(experiment!.launcher).toEqual({
      ...LauncherSettings.parse({}),
      use: 'slurm',
      partition: 'gpu',
      time: '02:00:00',
      gres: 'gpu:1',
      mem: '16G',
      setup: ['module load nodejs/20'],
      sbatch: ['--constraint=a100'],
    });
    expect(experiment!.trials[0]!.hash).toBe(load(join(dir, 'plain.yaml')).experiment!.trials[0]!.hash);
  });

  it('accepts the short form and reports bad settings with their place in the file', () => {
    const dir = files({
      'short.yaml': 'dataset: toy\nlauncher: slurm\n',
      'bad.yaml': 'dataset: toy\nlauncher:\n  use: slurm\n  time: two hours\n  cpus: 4\n',
      'unknown.yaml': 'dataset: toy\nlauncher: { use: kubernetes }\n',
    });
    expect(load(join(dir, 'short.yaml')).experiment!.launcher?.use).toBe('slurm');
    const bad = load(join(dir, 'bad.yaml')).diagnostics.map(formatDiagnostic).join('\n');
    expect(bad).toMatch(/bad\.yaml:4:\d+ error launcher\.time: .*01:30:00/);
    expect(bad).toMatch(/bad\.yaml:5:\d+ error launcher\.cpus: unknown key .*cpusPerTask/);
    expect(load(join(dir, 'unknown.yaml')).diagnostics.map(formatDiagnostic).join('\n')).toMatch(/unknown\.yaml:2:\d+ error launcher/);
  });
});

describe('SlurmLauncher.check', () => {
  const experimentWith = (tracker: unknown) => ({ file: 'x.yaml', trials: [{ config: { tracker } }] }) as unknown as Experiment;
  // the CLI reads whether the tracker keeps MLflow runs from its plugin's traits (mlflow does, none does not)
  const launcher = (cwd: string, trackerKeepsMlflowRuns: boolean) =>
    new SlurmLauncher(
      { settings: SlurmSettings.parse({}), taskEntry: 'task.ts', load: {}, cacheRoot: join(cwd, '.crops-cache'), logLevel: 'warn', cwd, trackerKeepsMlflowRuns },
      { experiment: experimentWith({ use: 'none' }), activateBackend: () => Promise.resolve('cpu'), progress: new Progress(process.stderr, false), parallel: 1, detach: false },
    );
  const refusal = (tracker: { use: string; params: unknown }, cwd = '/shared/project') => {
    try {
      launcher(cwd, tracker.use === 'mlflow').check(experimentWith(tracker));
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(CropsError);
      expect((e as CropsError).exitCode).toBe(2);
      return (e as Error).message;
    }
  };

  it('accepts an MLflow server and a file store on the shared working directory', () => {
    expect(refusal({ use: 'mlflow', params: { trackingUri: 'https://mlflow.example.org' } })).toBeUndefined();
    expect(refusal({ use: 'mlflow', params: { trackingUri: './mlruns' } })).toBeUndefined();
    expect(refusal({ use: 'mlflow', params: { trackingUri: 'file:///shared/project/runs' } })).toBeUndefined();
  });

  it('refuses, before anything is submitted, a store the nodes cannot reach', () => {
    expect(refusal({ use: 'none', params: {} })).toMatch(/needs a tracker that keeps MLflow runs \(got 'none'\)/);
    expect(refusal({ use: 'mlflow', params: { trackingUri: '/tmp/mlruns' } })).toMatch(/file store \/tmp\/mlruns is outside the working directory \/shared\/project.*http\(s\)/);
    expect(refusal({ use: 'mlflow', params: { trackingUri: 'databricks://x' } })).toMatch(/tracker\.params\.trackingUri: .*unsupported scheme/);
  });
});
