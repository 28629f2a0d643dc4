import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatDiagnostic } from '../core/errors.ts';
import { definePlugin, type PluginKind } from '../core/plugin.ts';
import { PluginRegistry } from '../core/registry.ts';
import { loadExperiment } from './experiment.ts';
import { trialGroup } from './report-check.ts';

@injectable()
class Dummy {}

function registry(): PluginRegistry {
  const r = new PluginRegistry();
  const add = (kind: PluginKind, name: string, schema: z.ZodType = z.object({}).strict(), extra = {}) =>
    r.register(definePlugin({ kind, name, summary: name, schema, implementation: Dummy, ...extra }));
  add('dataset', 'toy', z.object({ size: z.number().int().positive().default(10) }).strict());
  add('dataset', 'world', z.object({ size: z.number().int().positive().default(10), seed: z.number().int().default(7) }).strict());
  add('dataset', 'files', z.object({ dir: z.string().default('.') }).strict());
  add('dataset', 'simulator', z.object({}).strict(), { provides: ['online-simulation'] });
  add('positiveSource', 'search-clicks');
  add('positiveSource', 'feed', z.object({ window: z.number().default(60) }).strict());
  add('labelScheme', 'hla', z.object({}).strict(), { provides: ['graded-labels'] });
  add('labelScheme', 'binary');
  add('sampler', 'in-batch');
  add('encoder', 'hash-mlp', z.object({ dim: z.number().int().positive().default(8) }).strict());
  add('loss', 'info-nce', z.object({ temperature: z.number().positive().default(0.05) }).strict());
  add('loss', 'h-info-nce', z.object({ temperature: z.number().positive().default(0.05) }).strict(), {
    requires: [{ trait: 'graded-labels', because: 'it ranks samples by grade' }],
  });
  add('retriever', 'dense-exact');
  add('tracker', 'mlflow');
  add('tracker', 'none');
  add('backend', 'auto');
  for (const m of ['recall', 'ndcg']) add('metric', m);
  return r;
}

function files(entries: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'crops-config-'));
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
  return dir;
}

const load = (file: string, sets: string[] = [], sweeps: string[] = []) => loadExperiment(file, { registry: registry(), sets, sweeps });
const shown = (dir: string, file: string) => join(dir, file).replace(process.cwd() + '/', '');

describe('loadExperiment', () => {
  it('merges extends chains: mappings key by key, lists replace, a different plugin replaces its node', () => {
    const dir = files({
      'base.yaml': 'dataset: { use: toy, params: { size: 5 } }\nloss: { use: info-nce, params: { temperature: 0.1 } }\npositiveSource: [search-clicks, feed]\ntrain: { steps: 7, lr: 0.01 }\n',
      'mid.yaml': 'extends: ./base.yaml\ntrain: { steps: 9 }\nloss: { params: { temperature: 0.2 } }\n',
      'top.yaml': 'extends: ./mid.yaml\npositiveSource: feed\n',
      'swap.yaml': 'extends: ./base.yaml\nloss: h-info-nce\n',
    });
    const { experiment, diagnostics } = load(join(dir, 'top.yaml'));
    expect(diagnostics).toEqual([]);
    const cfg = experiment!.trials[0]!.config;
    expect(cfg.train.steps).toBe(9);
    expect(cfg.train.lr).toBe(0.01);
    expect(cfg.loss).toEqual({ use: 'info-nce', params: { temperature: 0.2 } });
    expect(cfg.positiveSource).toEqual([{ use: 'feed', params: { window: 60 } }]);
    expect(cfg.dataset.params).toEqual({ size: 5 });
    const swapped = load(join(dir, 'swap.yaml')).experiment!.trials[0]!.config;
    expect(swapped.loss).toEqual({ use: 'h-info-nce', params: { temperature: 0.05 } });
  });

  it('expands axes as a cartesian product, zips paired axes, and adds seeds', () => {
    const dir = files({
      'x.yaml': [
        'dataset: toy',
        'seeds: [1, 2]',
        'ablate:',
        '  encoder.params.dim: [8, 16]',
        '  zip:',
        '    labelScheme: [binary, hla]',
        '    loss: [info-nce, h-info-nce]',
        '',
      ].join('\n'),
    });
    const { experiment, diagnostics } = load(join(dir, 'x.yaml'));
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    const ids = experiment!.trials.map((t) => t.id);
    expect(ids).toHaveLength(8);
    expect(ids[0]).toBe('encoder.params.dim=8,labelScheme=binary,loss=info-nce,seed=1');
    expect(new Set(ids).size).toBe(8);
    const hla16 = experiment!.trials.find((t) => t.id === 'encoder.params.dim=16,labelScheme=hla,loss=h-info-nce,seed=2')!;
    expect(hla16.config.encoder.params).toEqual({ dim: 16 });
    expect(hla16.config.seed).toBe(2);
    // every trial differs in config, so every hash differs
    expect(new Set(experiment!.trials.map((t) => t.hash)).size).toBe(8);
  });

  it('crosses worlds (the dataset seed) with training seeds, and both leave the report row', () => {
    const dir = files({ 'w.yaml': ['dataset: world', 'worlds: [7, 8, 9]', 'seeds: [1, 2]', 'ablate:', '  loss: [info-nce, h-info-nce]', 'labelScheme: hla', ''].join('\n') });
    const { experiment, diagnostics } = load(join(dir, 'w.yaml'));
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    const trials = experiment!.trials;
    expect(trials).toHaveLength(12);
    expect(trials[0]!.id).toBe('loss=info-nce,world=7,seed=1');
    const t = trials.find((x) => x.id === 'loss=h-info-nce,world=9,seed=2')!;
    expect(t.config.dataset.params).toEqual({ size: 10, seed: 9 });
    expect(t.config.seed).toBe(2);
    expect(new Set(trials.map((x) => x.hash)).size).toBe(12);
    expect(new Set(trials.map((x) => trialGroup(x.id, x.config.seed)))).toEqual(new Set(['loss=info-nce', 'loss=h-info-nce']));
    // one world: no world part in the id, the seed is still set
    const one = load(join(files({ 'o.yaml': 'dataset: world\nworlds: [3]\n' }), 'o.yaml')).experiment!;
    expect(one.trials.map((x) => [x.id, x.config.dataset.params.seed])).toEqual([['base', 3]]);
  });

  it('refuses worlds on a dataset without a seed param, and a seed set twice', () => {
    const noSeed = load(join(files({ 'n.yaml': 'dataset: files\nworlds: [1, 2]\n' }), 'n.yaml'));
    expect(noSeed.experiment).toBeUndefined();
    expect(noSeed.diagnostics.map(formatDiagnostic).join('\n')).toMatch(/n\.yaml:2:1 .*worlds: dataset 'files' has no seed param/);
    const twice = load(join(files({ 't.yaml': 'dataset: { use: world, params: { seed: 4 } }\nworlds: [1, 2]\n' }), 't.yaml'));
    expect(twice.diagnostics.map(formatDiagnostic).join('\n')).toMatch(/dataset\.params\.seed sets it too/);
  });

  it('names the rows of a zip block with label: in place of their overrides', () => {
    const dir = files({
      'named.yaml': ['dataset: toy', 'seeds: [1, 2]', 'ablate:', '  zip:', '    label: [plain, graded]', '    labelScheme: [binary, hla]', '    loss: [info-nce, h-info-nce]', ''].join('\n'),
      'bad.yaml': ['dataset: toy', 'ablate:', '  zip:', '    label: [a, a]', '    loss: [info-nce, h-info-nce]', ''].join('\n'),
      'short.yaml': ['dataset: toy', 'ablate:', '  zip:', '    label: [a]', '    loss: [info-nce, h-info-nce]', ''].join('\n'),
    });
    const { experiment, diagnostics } = load(join(dir, 'named.yaml'));
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(experiment!.trials.map((t) => t.id)).toEqual(['plain,seed=1', 'plain,seed=2', 'graded,seed=1', 'graded,seed=2']);
    expect(experiment!.trials[2]!.config.loss.use).toBe('h-info-nce');
    // the names are labels only: the configs and hashes are those of the unnamed block
    const unnamed = files({ 'u.yaml': ['dataset: toy', 'seeds: [1, 2]', 'ablate:', '  zip:', '    labelScheme: [binary, hla]', '    loss: [info-nce, h-info-nce]', ''].join('\n') });
    expect(experiment!.trials.map((t) => t.hash)).toEqual(load(join(unnamed, 'u.yaml')).experiment!.trials.map((t) => t.hash));
    for (const f of ['bad.yaml', 'short.yaml']) {
      const errors = load(join(dir, f)).diagnostics.map(formatDiagnostic);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/:4:12 error ablate\.zip\.label: expected distinct names .* one per row of the zipped axes \(2\)/);
    }
  });

  it('hashes equal configs equally regardless of how they were written', () => {
    const dir = files({
      'a.yaml': 'dataset: toy\nloss: info-nce\n',
      'b.yaml': 'loss: { use: info-nce, params: { temperature: 0.05 } }\ndataset: { use: toy, params: {} }\n',
    });
    expect(load(join(dir, 'a.yaml')).experiment!.trials[0]!.hash).toBe(load(join(dir, 'b.yaml')).experiment!.trials[0]!.hash);
  });

  it("writes out what a plugin takes from its preset, so naming the preset's own value hashes as leaving it out", () => {
    const r = registry();
    const presetRate = { a: 0.3, b: 0.6 } as const;
    r.register(
      definePlugin({
        kind: 'dataset',
        name: 'preset-world',
        summary: 'a dataset whose knobs default per preset',
        schema: z.object({ preset: z.enum(['a', 'b']).default('a'), rate: z.number().optional() }).strict(),
        implementation: Dummy,
        fillDefaults: (p: { preset: 'a' | 'b'; rate?: number }) => ({ ...p, rate: p.rate ?? presetRate[p.preset] }),
      }),
    );
    const dir = files({
      'implicit.yaml': 'dataset: preset-world\nloss: info-nce\n',
      'named.yaml': 'dataset: { use: preset-world, params: { rate: 0.3 } }\nloss: info-nce\n',
      'other.yaml': 'dataset: { use: preset-world, params: { rate: 0.5 } }\nloss: info-nce\n',
      'b.yaml': 'dataset: { use: preset-world, params: { preset: b } }\nloss: info-nce\n',
      'b-named-a.yaml': 'dataset: { use: preset-world, params: { preset: b, rate: 0.3 } }\nloss: info-nce\n',
    });
    const trial = (f: string) => loadExperiment(join(dir, f), { registry: r }).experiment!.trials[0]!;
    expect(trial('implicit.yaml').config.dataset.params).toEqual({ preset: 'a', rate: 0.3 });
    expect(trial('named.yaml').hash).toBe(trial('implicit.yaml').hash);
    expect(trial('other.yaml').hash).not.toBe(trial('implicit.yaml').hash);
    expect(trial('b.yaml').config.dataset.params).toEqual({ preset: 'b', rate: 0.6 });
    expect(trial('b-named-a.yaml').hash).not.toBe(trial('b.yaml').hash);
    expect(trial('b-named-a.yaml').hash).not.toBe(trial('implicit.yaml').hash);
  });

  it('leaves out an optional plugin that no source of the trial asks for, and keeps it where one may', () => {
    const r = registry();
    r.register(definePlugin({ kind: 'discriminator', name: 'judge', summary: 'judge', schema: z.object({ noise: z.number().default(0) }).strict(), implementation: Dummy, provides: ['discriminator'] }));
    r.register(definePlugin({ kind: 'positiveSource', name: 'clicks-only', summary: 'asks for nothing', schema: z.object({}).strict(), implementation: Dummy, consults: [] }));
    r.register(definePlugin({ kind: 'positiveSource', name: 'judged', summary: 'asks for a judge', schema: z.object({}).strict(), implementation: Dummy, consults: ['discriminator'] }));
    const dir = files({
      'x.yaml': 'dataset: toy\nloss: info-nce\ndiscriminator: { use: judge, params: { noise: 0.5 } }\nablate:\n  positiveSource: [clicks-only, [clicks-only, judged], search-clicks]\n',
      'y.yaml': 'dataset: toy\nloss: info-nce\npositiveSource: clicks-only\n',
    });
    const trials = loadExperiment(join(dir, 'x.yaml'), { registry: r }).experiment!.trials;
    expect(trials.map((t) => [t.id, t.config.discriminator?.params])).toEqual([
      ['positiveSource=clicks-only', undefined],
      ['positiveSource=clicks-only+judged', { noise: 0.5 }],
      // a source that does not say what it asks for may ask for anything
      ['positiveSource=search-clicks', { noise: 0.5 }],
    ]);
    expect(trials[0]!.hash).toBe(loadExperiment(join(dir, 'y.yaml'), { registry: r }).experiment!.trials[0]!.hash);
  });

  it('applies --set overrides, parsed as YAML, after extends', () => {
    const dir = files({ 'x.yaml': 'dataset: toy\ntrain: { steps: 3 }\n' });
    const { experiment } = load(join(dir, 'x.yaml'), ['train.steps=11', 'loss=h-info-nce', 'seeds=[4,5]']);
    expect(experiment!.trials.map((t) => [t.config.train.steps, t.config.loss.use, t.config.seed])).toEqual([
      [11, 'h-info-nce', 4],
      [11, 'h-info-nce', 5],
    ]);
    // text with ': ' stays text; a mapping is written in flow style
    const titled = load(join(dir, 'x.yaml'), ['report.title=Table 3: sources, 3 worlds', 'loss={ use: info-nce, params: { temperature: 0.07 } }']);
    expect(titled.experiment!.report?.title).toBe('Table 3: sources, 3 worlds');
    expect(titled.experiment!.trials[0]!.config.loss.params).toMatchObject({ temperature: 0.07 });
    const bad = load(join(dir, 'x.yaml'), ['nokey', 'trian.steps=1']);
    expect(bad.diagnostics.map(formatDiagnostic)).toEqual([
      "--set:1:1 error expected key=value (got 'nokey'), e.g. --set train.steps=100",
      "--set:2:1 error trian.steps: unknown top-level key 'trian'; did you mean 'train'?",
    ]);
  });

  it('locates an error in one ablation value at that value and names the trials it breaks', () => {
    const dir = files({ 'x.yaml': 'dataset: toy\nseeds: [1, 2]\nablate:\n  loss.params.temperature: [0.05, -1]\n' });
    const { experiment, diagnostics } = load(join(dir, 'x.yaml'));
    expect(experiment).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      `${join(dir, 'x.yaml').replace(process.cwd() + '/', '')}:4:35 error loss.params.temperature: must be > 0 (got -1) [trials loss.params.temperature=-1,seed=1, loss.params.temperature=-1,seed=2]`,
    ]);
  });

  it('reports every problem of every pass at once, each once', () => {
    const dir = files({ 'x.yaml': 'dataset: toy\nlos: info-nce\nencoder: { use: hash-mlp, params: { dim: 0, width: 3 } }\nlabelScheme: binary\nloss: h-info-nce\n' });
    const { diagnostics } = load(join(dir, 'x.yaml'));
    const text = diagnostics.map(formatDiagnostic);
    expect(text).toHaveLength(4);
    expect(text[0]).toMatch(/:2:1 error los: unknown key; did you mean 'loss'\?/);
    expect(text[1]).toMatch(/:3:42 error encoder.params.dim: must be > 0 \(got 0\)/);
    expect(text[2]).toMatch(/:3:45 error encoder.params.width: unknown key \(allowed: dim\)/);
    expect(text[3]).toMatch(/:5:7 error loss: loss 'h-info-nce' cannot run here: it ranks samples by grade/);
  });

  it('refuses a sweep whose trials disagree on the tracker', () => {
    const dir = files({ 'x.yaml': 'dataset: toy\nablate:\n  tracker: [mlflow, none]\n' });
    expect(load(join(dir, 'x.yaml')).diagnostics.map(formatDiagnostic)[0]).toMatch(/tracker: the tracker is shared by the whole sweep/);
  });

  it('refuses a --set value that an ablation axis replaces in every trial, at the --set and naming the axis', () => {
    const dir = files({ 'x.yaml': 'dataset: toy\nablate:\n  zip:\n    labelScheme: [binary, hla]\n    loss: [info-nce, h-info-nce]\n' });
    const { experiment, diagnostics } = load(join(dir, 'x.yaml'), ['loss.params.temperature=0.1']);
    expect(experiment).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      `--set:1:1 error loss.params.temperature: never used: the ablation axis 'loss' (${shown(dir, 'x.yaml')}:5:5) replaces 'loss' in every trial; put the value into each of the axis's values (e.g. { use: NAME, params: {...} }) or remove it`,
    ]);
    // a --set on a path no axis replaces still applies to every trial
    const kept = load(join(dir, 'x.yaml'), ['train.steps=16']).experiment!;
    expect(kept.trials.map((t) => t.config.train.steps)).toEqual([16, 16]);
  });

  it('refuses a value written in the file that an axis replaces in every trial, but lets an extended base be replaced', () => {
    const dir = files({
      'base.yaml': 'dataset: toy\nloss: { use: info-nce, params: { temperature: 0.2 } }\n',
      'own.yaml': 'dataset: toy\nloss: { use: info-nce, params: { temperature: 0.2 } }\nablate:\n  loss.params.temperature: [0.1, 0.3]\n',
      'inherits.yaml': 'extends: ./base.yaml\nablate:\n  loss.params.temperature: [0.1, 0.3]\n',
    });
    expect(load(join(dir, 'own.yaml')).diagnostics.map(formatDiagnostic)).toEqual([
      `${shown(dir, 'own.yaml')}:2:47 error loss.params.temperature: never used: the ablation axis 'loss.params.temperature' (${shown(dir, 'own.yaml')}:4:3) replaces this value in every trial; put the value into each of the axis's values (e.g. { use: NAME, params: {...} }) or remove it`,
    ]);
    const { experiment, diagnostics } = load(join(dir, 'inherits.yaml'));
    expect(diagnostics).toEqual([]);
    expect(experiment!.trials.map((t) => t.config.loss.params)).toEqual([{ temperature: 0.1 }, { temperature: 0.3 }]);
  });

  it('reports a misspelled plugin in a base slot that every ablation row replaces', () => {
    const dir = files({
      'base.yaml': 'dataset: toy\nloss: infonce\n',
      'x.yaml': 'extends: ./base.yaml\nablate:\n  loss: [info-nce, h-info-nce]\nlabelScheme: hla\n',
    });
    const { experiment, diagnostics } = load(join(dir, 'x.yaml'));
    expect(experiment).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([`${shown(dir, 'base.yaml')}:2:7 error loss: unknown loss plugin 'infonce'; did you mean 'info-nce'? (available: h-info-nce, info-nce)`]);
  });

  it('adds --sweep axes as a cartesian product, named and validated like file axes', () => {
    const dir = files({ 'x.yaml': 'dataset: toy\nlabelScheme: hla\nablate:\n  encoder.params.dim: [8, 16]\n' });
    const { experiment, diagnostics } = load(join(dir, 'x.yaml'), [], ['loss=info-nce,h-info-nce', 'train.lr=1e-3,3e-3']);
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(experiment!.trials.map((t) => t.id)).toEqual([
      'encoder.params.dim=8,loss=info-nce,train.lr=0.001',
      'encoder.params.dim=8,loss=info-nce,train.lr=0.003',
      'encoder.params.dim=8,loss=h-info-nce,train.lr=0.001',
      'encoder.params.dim=8,loss=h-info-nce,train.lr=0.003',
      'encoder.params.dim=16,loss=info-nce,train.lr=0.001',
      'encoder.params.dim=16,loss=info-nce,train.lr=0.003',
      'encoder.params.dim=16,loss=h-info-nce,train.lr=0.001',
      'encoder.params.dim=16,loss=h-info-nce,train.lr=0.003',
    ]);
    expect(experiment!.trials[7]!.config.train.lr).toBe(0.003);
    // the same trials as the axes written in the file
    const inFile = files({ 'y.yaml': 'dataset: toy\nlabelScheme: hla\nablate:\n  encoder.params.dim: [8, 16]\n  loss: [info-nce, h-info-nce]\n  train.lr: [1e-3, 3e-3]\n' });
    expect(experiment!.trials.map((t) => t.hash)).toEqual(load(join(inFile, 'y.yaml')).experiment!.trials.map((t) => t.hash));
    const bad = load(join(dir, 'x.yaml'), [], ['loss=info-nce,hinfonce', 'encoder.params.dim=4', 'trian.lr=1', 'seeds']);
    expect(bad.diagnostics.map(formatDiagnostic)).toEqual([
      "--sweep:1:15 error loss: unknown loss plugin 'hinfonce'; did you mean 'h-info-nce'? (available: h-info-nce, info-nce) [trials encoder.params.dim=8,loss=hinfonce, encoder.params.dim=16,loss=hinfonce]",
      `--sweep:2:1 error encoder.params.dim: 'encoder.params.dim' is already an ablation axis (${shown(dir, 'x.yaml')}:4:3); give its values in one place`,
      "--sweep:3:1 error trian.lr: unknown top-level key 'trian'; did you mean 'train'?",
      "--sweep:4:1 error expected key=value1,value2,... (got 'seeds'), e.g. --sweep loss=info-nce,h-info-nce",
    ]);
  });

  it('leaves eval.online out unless configured (trial hashes unchanged), and fills its defaults when it is', () => {
    const dir = files({
      'plain.yaml': 'dataset: simulator\n',
      'online.yaml': 'dataset: simulator\neval: { online: { control: none } }\n',
      'files.yaml': 'dataset: files\neval:\n  online: {}\n',
    });
    const plain = load(join(dir, 'plain.yaml')).experiment!.trials[0]!;
    expect('online' in plain.config.eval).toBe(false);
    const online = load(join(dir, 'online.yaml')).experiment!.trials[0]!;
    expect(online.config.eval.online).toEqual({ control: 'none', seed: 1, resamples: 2000 });
    expect(online.hash).not.toBe(plain.hash);
    const refused = load(join(dir, 'files.yaml')).diagnostics.map(formatDiagnostic);
    expect(refused).toEqual([`${shown(dir, 'files.yaml')}:3:3 error eval.online: dataset 'files' cannot simulate an online A/B test: it does not provide 'online-simulation' (a simulator such as synthetic-world does); remove eval.online or use such a dataset`]);
  });
});
