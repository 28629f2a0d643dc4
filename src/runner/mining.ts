import { existsSync } from 'node:fs';
import type { TrialConfig } from '../config/trial-config.ts';
import { codeFingerprint } from '../core/code-fingerprint.ts';
import { configHash } from '../core/hash.ts';
import { DiskCache } from '../core/disk-cache.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { buildTrainingSet } from './labelling.ts';
import type { LogStore } from '../extension-points/log-store.ts';
import type { TrainingSet } from '../extension-points/samples.ts';
import { Discriminator, LabelScheme, Llm, PositiveSource, type MinedCandidates } from '../extension-points/index.ts';
import type { PluginFactory } from './plugin-factory.ts';

/** Where a source's candidates came from on this run. */
export type MinedFrom = 'mined' | 'memory' | 'disk';

export interface MiningResult {
  mined: MinedCandidates[];
  from: MinedFrom[];
  data: TrainingSet;
  scheme: LabelScheme;
}

/**
 * Mined candidates of each positive source, cached in memory for a sweep and on disk across runs.
 * The key covers everything a source's output depends on: the dataset, the source with its params,
 * the discriminator and LLM, the trial seed (sources may sample) and the code that ran, so an
 * ablation that changes only the loss or the labels mines once, and changed code never reuses a
 * stale result. Disk entries are DiskCache entries (written atomically); an unreadable one is mined again.
 */
export class MinedCache {
  /** lookups by key, started once per key and shared by every caller of this sweep */
  private readonly lookups = new Map<string, Promise<MinedCandidates>>();
  private readonly disk: DiskCache<string, MinedCandidates> | undefined;

  constructor(dir: string | undefined) {
    this.disk = dir === undefined ? undefined : new DiskCache(dir);
  }

  /** The file a disk entry for `key` lives in, when the cache has a directory. */
  pathOf(key: string): string | undefined {
    return this.disk?.pathOf(key);
  }

  async get(key: string, compute: () => Promise<MinedCandidates>): Promise<{ value: MinedCandidates; from: MinedFrom }> {
    const known = this.lookups.get(key);
    if (known) return { value: await known, from: 'memory' };
    let from: MinedFrom = 'mined';
    const lookup = (async () => {
      // an unreadable or foreign entry reads as missing and is mined again
      const stored = await this.disk?.get(key);
      if (stored !== undefined) {
        from = 'disk';
        return stored;
      }
      const value = await compute();
      await this.disk?.set(key, value);
      return value;
    })();
    this.lookups.set(key, lookup);
    try {
      return { value: await lookup, from };
    } catch (e) {
      this.lookups.delete(key);
      throw e;
    }
  }
}

/** The cache key of positive source `index` of a trial. */
export function miningKey(cfg: TrialConfig, index: number, registry: PluginRegistry): string {
  const refs = [
    ['dataset', cfg.dataset],
    ['positiveSource', cfg.positiveSource[index]],
    ['discriminator', cfg.discriminator],
    ['llm', cfg.llm],
  ] as const;
  // external plugin modules are part of the code that ran
  const external = refs
    .filter(([, ref]) => ref !== undefined)
    .map(([kind, ref]) => registry.origin(kind, ref!.use))
    .filter((o): o is string => o !== undefined && existsSync(o));
  // a dev split removes logs from what is mined; without one the key is what it always was
  const dev = cfg.train.select ? { devShare: cfg.train.select.devShare } : undefined;
  return configHash({ dataset: cfg.dataset, source: cfg.positiveSource[index], discriminator: cfg.discriminator ?? null, llm: cfg.llm ?? null, seed: cfg.seed, code: codeFingerprint(external), dev });
}

/**
 * The data phase of a trial: sets up the discriminator and LLM, mines every positive source (or
 * takes it from the cache), and grades the candidates with the label scheme. Candidates of a
 * `heldOut` query (the dev split of model selection) are dropped before grading, so it never gets
 * a training positive whatever a source mined.
 */
export async function mineTrainingSet(
  cfg: TrialConfig,
  store: LogStore,
  factory: PluginFactory,
  cache: MinedCache,
  registry: PluginRegistry,
  disposables: Array<{ dispose?(): void }>,
  heldOut?: ReadonlySet<string>,
): Promise<MiningResult> {
  // the discriminator and LLM are set up only when some source actually has to be mined
  let ready: Promise<void> | undefined;
  const setUp = async () => {
    if (cfg.discriminator) {
      const discriminator = factory.provide<Discriminator>(Discriminator, 'discriminator', cfg.discriminator);
      disposables.push(discriminator);
      await discriminator.init?.(store);
    }
    if (cfg.llm) factory.provide(Llm, 'llm', cfg.llm);
  };
  const mined: MinedCandidates[] = [];
  const from: MinedFrom[] = [];
  for (let i = 0; i < cfg.positiveSource.length; i++) {
    const got = await cache.get(miningKey(cfg, i, registry), async () => {
      await (ready ??= setUp());
      return factory.create<PositiveSource>('positiveSource', cfg.positiveSource[i]!, `positiveSource.${i}`).mine(store);
    });
    mined.push(got.value);
    from.push(got.from);
  }
  const scheme = factory.provide<LabelScheme>(LabelScheme, 'labelScheme', cfg.labelScheme);
  const kept = heldOut ? mined.map((m) => withoutQueries(m, heldOut)) : mined;
  return { mined, from, data: buildTrainingSet(store.items, kept, scheme), scheme };
}

function withoutQueries(m: MinedCandidates, queries: ReadonlySet<string>): MinedCandidates {
  return {
    candidates: m.candidates.filter((c) => !queries.has(c.query)),
    ...(m.pseudo ? { pseudo: { items: m.pseudo.items, candidates: m.pseudo.candidates.filter((c) => !queries.has(c.query)) } } : {}),
  };
}
