import { Container } from 'inversify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Trial } from '../config/experiment.ts';
import { configHash } from '../core/hash.ts';
import { Rng } from '../core/rng.ts';
import { TrialInfo } from '../core/services.ts';
import { externalItemId, externalUserId } from '../eval/external-ids.ts';
import { resolveSamples } from '../runner/labelling.ts';
import { Backend, Dataset } from '../extension-points/index.ts';
import { MinedCache, mineTrainingSet } from '../runner/mining.ts';
import { PluginFactory } from '../runner/plugin-factory.ts';
import { selectTrials } from '../runner/sweep.ts';
import { writeSamples } from './data-export.ts';
import type { Io } from './io.ts';
import { loadValidated, type ExperimentArgs } from './validate-command.ts';

export interface DataArgs extends ExperimentArgs {
  exportDir?: string;
  only?: string;
  json: boolean;
}

/**
 * `crops data FILE`: mines and labels the training data of every trial without training, prints
 * the counts per origin and grade, and with `--export DIR` writes the labelled samples as CSV and
 * Parquet for auditing. Trials that differ only in what happens after labelling share one entry.
 * Mined candidates go through the same cache as `crops run`, so a later run starts warm.
 */
export async function dataCommand(args: DataArgs, io: Io): Promise<number> {
  const { experiment, registry } = await loadValidated(args);
  const cacheRoot = resolve('.crops-cache');
  const cache = new MinedCache(join(cacheRoot, 'mined'));
  const groups = new Map<string, Trial[]>();
  for (const t of selectTrials(experiment.trials, args.only)) {
    const c = t.config;
    const key = configHash({ d: c.dataset, p: c.positiveSource, x: c.discriminator ?? null, l: c.llm ?? null, s: c.labelScheme, seed: c.seed });
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const root = new Container();
  const first = experiment.trials[0]!.config;
  const backendName = await new PluginFactory(root, { registry, rng: new Rng(0), cacheRoot, logLevel: 'warn' }).create<Backend>('backend', first.backend).activate();
  const stores = new Map<string, Promise<{ dataset: Dataset; store: Awaited<ReturnType<Dataset['load']>> }>>();
  const reports = [];
  for (const [key, trials] of groups) {
    const cfg = trials[0]!.config;
    const container = new Container({ parent: root });
    container.bind(TrialInfo).toConstantValue({ id: trials[0]!.id, seed: cfg.seed, configHash: trials[0]!.hash, config: cfg, experimentFile: experiment.file } satisfies TrialInfo);
    const factory = new PluginFactory(container, { registry, rng: new Rng(cfg.seed), cacheRoot, logLevel: 'warn' });
    const dkey = configHash(cfg.dataset);
    if (!stores.has(dkey)) {
      const dataset = factory.create<Dataset>('dataset', cfg.dataset);
      stores.set(dkey, dataset.load().then((store) => ({ dataset, store })));
    }
    const { dataset, store } = await stores.get(dkey)!;
    container.bind(Dataset).toConstantValue(dataset);
    const disposables: Array<{ dispose?(): void }> = [];
    try {
      const started = Date.now();
      const { mined, from, data, scheme } = await mineTrainingSet(cfg, store, factory, cache, registry, disposables);
      const report = {
        trials: trials.map((t) => t.id),
        sources: cfg.positiveSource.map((s, i) => `${s.use} (${from[i]})`),
        seconds: (Date.now() - started) / 1000,
        queries: data.lists.length,
        pseudoItems: data.items.texts.length - data.items.corpusSize,
        origins: data.originCounts,
        grades: data.gradeCounts,
        notes: Object.entries(store.description ?? {}).filter(([, v]) => typeof v === 'string' && /^absent/.test(v)).map(([k, v]) => `${k}: ${v}`),
        exported: undefined as string | undefined,
      };
      if (args.exportDir) {
        const dir = join(resolve(args.exportDir), trials.length === 1 ? safeName(trials[0]!.id) : `group-${key.slice(0, 8)}`);
        mkdirSync(dir, { recursive: true });
        await writeSamples(dir, resolveSamples(store.items, mined, scheme), scheme.positiveGrade, { item: (id) => externalItemId(store, id), user: (id) => externalUserId(store, id) });
        writeFileSync(join(dir, 'trials.txt'), `${report.trials.join('\n')}\n`);
        report.exported = dir;
      }
      reports.push(report);
    } finally {
      for (const d of disposables) d.dispose?.();
    }
  }
  if (args.json) io.out(`${JSON.stringify(reports, null, 2)}\n`);
  else for (const r of reports) io.out(formatReport(r));
  io.out(args.json ? '' : `backend: ${backendName}; mined candidates are cached in ${join(cacheRoot, 'mined')}\n`);
  return 0;
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9=,._-]+/g, '_').slice(0, 120) || 'trial';
}

function formatReport(r: { trials: string[]; sources: string[]; seconds: number; queries: number; pseudoItems: number; origins: Record<string, number>; grades: Record<string, number>; notes: string[]; exported?: string }): string {
  const lines = [`${r.trials.join(' | ')}`, `  sources: ${r.sources.join(', ')}  (${r.seconds.toFixed(1)}s)`, `  training queries: ${r.queries}   pseudo-items: ${r.pseudoItems}`];
  lines.push('  pairs per origin (before overlaps resolve):');
  for (const [o, n] of Object.entries(r.origins).sort(([, a], [, b]) => b - a)) lines.push(`    ${o.padEnd(20)} ${String(n).padStart(9)}`);
  lines.push('  labelled pairs per grade:');
  for (const [g, n] of Object.entries(r.grades).sort(([a], [b]) => Number(b) - Number(a))) lines.push(`    grade ${g.padEnd(14)} ${String(n).padStart(9)}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.exported) lines.push(`  samples written to ${r.exported}/samples.{csv,parquet}`);
  return `${lines.join('\n')}\n\n`;
}
