import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialConfig } from '../config/trial-config.ts';
import { codeFingerprint } from '../core/code-fingerprint.ts';
import { writeError } from '../core/disk-cache.ts';
import { scrubSecrets } from '../core/secrets.ts';
import { configHash } from '../core/hash.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { buildTrainingSet } from '../engine/labelling.ts';
import type { LogStore } from '../engine/log-store.ts';
import type { TrainingSet } from '../engine/samples.ts';
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
 * stale result. Disk entries are written atomically; an unreadable one is mined again.
 */
export class MinedCache {
  private readonly memory = new Map<string, Promise<MinedCandidates>>();

  constructor(private readonly dir: string | undefined) {}

  async get(key: string, compute: () => Promise<MinedCandidates>): Promise<{ value: MinedCandidates; from: MinedFrom }> {
    const inMemory = this.memory.get(key);
    if (inMemory) return { value: await inMemory, from: 'memory' };
    const file = this.dir ? join(this.dir, `${key}.json`) : undefined;
    if (file && existsSync(file)) {
      try {
        const value = JSON.parse(readFileSync(file, 'utf8')) as MinedCandidates;
        this.memory.set(key, Promise.resolve(value));
        return { value, from: 'disk' };
      } catch {
        // a torn or foreign file: fall through and mine again
      }
    }
    const pending = compute();
    this.memory.set(key, pending);
    try {
      const value = await pending;
      if (file) writeAtomically(file, JSON.stringify(value));
      return { value, from: 'mined' };
    } catch (e) {
      this.memory.delete(key);
      throw e;
    }
  }
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // mined text can hold what an LLM echoed back: no known secret value reaches the disk
    writeFileSync(tmp, scrubSecrets(text));
    renameSync(tmp, file);
  } catch (e) {
    // a full disk must not keep the half-written file
    rmSync(tmp, { force: true });
    throw writeError('mined candidates', file, e);
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
  return configHash({ dataset: cfg.dataset, source: cfg.positiveSource[index], discriminator: cfg.discriminator ?? null, llm: cfg.llm ?? null, seed: cfg.seed, code: codeFingerprint(external) });
}

/**
 * The data phase of a trial: sets up the discriminator and LLM, mines every positive source (or
 * takes it from the cache), and grades the candidates with the label scheme.
 */
export async function mineTrainingSet(
  cfg: TrialConfig,
  store: LogStore,
  factory: PluginFactory,
  cache: MinedCache,
  registry: PluginRegistry,
  disposables: Array<{ dispose?(): void }>,
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
  return { mined, from, data: buildTrainingSet(store.items, mined, scheme), scheme };
}
