import { inject, injectable, optional } from 'inversify';
import { getHeapStatistics } from 'node:v8';
import { CropsError } from '../../src/core/errors.ts';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginLogger, PluginParams } from '../../src/core/services.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { ONLINE_SIMULATION_TRAIT, type Dataset, type DatasetDiagnostic, type OnlineDayRequest, type OnlineUserOutcome, type WorldKnowledge } from '../../src/extension-points/dataset.ts';
import { describeWorld } from './synthetic-world/describe.ts';
import { generateWorld, type GeneratedWorld } from './synthetic-world/generate.ts';
import { LegacyFunnel } from './synthetic-world/legacy-funnel.ts';
import { simulateOnlineDay } from './synthetic-world/online-day.ts';
import { PRESETS, resolveWorldConfig, type WorldConfig } from './synthetic-world/presets.ts';
import { World } from './synthetic-world/world.ts';

const share = (what: string) => z.number().min(0).max(1).optional().describe(what);
const count = (what: string) => z.number().int().positive().optional().describe(what);

/** Params of `synthetic-world`: a preset plus overrides of its main knobs. */
export const SyntheticWorldParams = z
  .object({
    preset: z.enum(['tiny', 'small', 'medium', 'large']).default('tiny').describe('world size: tiny (seconds), small, medium, large (over 10 million log rows; minutes and several GB to generate)'),
    seed: z.number().int().min(0).default(7).describe('seeds the world and its logs; independent of the trial seed, so trial seeds vary training only'),
    items: count('number of videos (overrides the preset)'),
    users: count('number of users (overrides the preset)'),
    topics: count('number of topics, each with 2-4 meanings (overrides the preset)'),
    sessionsPerDay: count('typed search sessions per simulated day, before reformulations (overrides the preset)'),
    ambiguousQueryRate: share('share of queries made of head words only (default 0.45)'),
    querySynonymRate: share('chance a query word is a synonym never used in captions (default 0.3)'),
    legacySynonymCoverage: share('share of synonyms the legacy query rewriter understands (default 0.5)'),
    rankerRelevanceMix: share('legacy ranker weight on query relevance against the historic-exposure bias (default 0.5)'),
    reformulationProb: share('chance a user whose intent went unserved reformulates (default 0.5)'),
    tailExposure: z
      .tuple([z.number().min(0).max(1), z.number().min(0).max(1)])
      .refine(([lo, hi]) => lo <= hi, 'use [low, high] with low <= high')
      .optional()
      .describe("filter-bubble strength: historic exposure of an ambiguous query's other meanings relative to its dominant one, drawn per meaning in [low, high]; lower is a tighter bubble (default [0.03, 0.15])"),
    testExploration: share('test-day exposure policy: share of recall from a meaning channel, fading of the exposure prior (default 0.5)'),
    judgedPairs: z
      .enum(['all-relevant', 'sampled'])
      // a default (not optional) so the resolved config, and with it the trial hash, names it: runs
      // scored on the sampled pool before it existed are not taken for finished ones
      .default('all-relevant')
      .describe(
        "judged set: 'all-relevant' (default) adds every item with true grade > 0 to each judged query's qrels, so NDCG ranks the whole corpus; 'sampled' keeps only the sampled pool of about judgedPerQuery items and re-ranks it",
      ),
  })
  .strict();
export type SyntheticWorldParams = z.output<typeof SyntheticWorldParams>;

/**
 * A seeded short-video search world whose legacy search system shows mostly each topic's dominant
 * meaning: train logs are day 1 under that system, test logs day 3 under its own exposure policy,
 * and judged pairs carry ground-truth grades by meaning. Provides `world-ground-truth`:
 * {@link trueGrade} and {@link knowledge} expose the hidden topic model to oracle plugins. Provides
 * `online-simulation`: {@link simulateOnlineDay} serves a fresh day of users with an extra dense channel.
 */
@injectable()
export class SyntheticWorldDataset implements Dataset {
  readonly config: WorldConfig;
  private world?: World;
  private generated?: GeneratedWorld;

  constructor(
    @inject(PluginParams) params: SyntheticWorldParams,
    @inject(PluginLogger) @optional() private readonly logger?: Logger,
  ) {
    const { preset, ...overrides } = params;
    this.config = resolveWorldConfig(preset, overrides);
  }

  async load(): Promise<LogStore> {
    return this.generate().store;
  }

  /** The simulated world with its hidden per-session facts (intents, reformulation links). */
  generate(): GeneratedWorld {
    if (this.generated) return this.generated;
    assertHeapFits(this.config);
    const started = performance.now();
    this.generated = generateWorld(this.config, this.getWorld());
    const d = this.generated.store.description ?? {};
    this.logger?.info(
      `generated ${d.items} items, ${d.trainSessions} train / ${d.testSessions} test sessions in ${Math.round(performance.now() - started)} ms ` +
        `(click share ${d.trainClickSessionShare}, top-10% exposure ${d.exposureTop10Share}, reformulation rate ${d.trainReformulationRate})`,
    );
    return this.generated;
  }

  trueGrade(query: string, itemId: number): number {
    return this.getWorld().trueGrade(query, itemId);
  }

  knowledge(): WorldKnowledge {
    return this.getWorld();
  }

  /** A fresh day (after the test day) served by the legacy funnel plus the request's dense channel. */
  simulateOnlineDay(request: OnlineDayRequest): Promise<OnlineUserOutcome[]> {
    const world = this.getWorld();
    return simulateOnlineDay(world, new LegacyFunnel(world), request);
  }

  async describe(): Promise<DatasetDiagnostic[]> {
    return describeWorld(this.generate());
  }

  /** The world's entities alone, without simulating logs (cheap next to `load`). */
  getWorld(): World {
    this.world ??= this.generated?.world ?? new World(this.config);
    return this.world;
  }
}

/** Bytes one logged impression takes as a JS object, with its share of the arrays holding it (measured). */
const BYTES_PER_IMPRESSION = 110;

/**
 * The logs are held as JS objects, so a world larger than the JS heap would end in V8's fatal
 * out-of-memory crash after minutes of work; say so up front, with the flag that fixes it.
 */
function assertHeapFits(config: WorldConfig): void {
  // two simulated days, about a quarter more sessions from reformulations, every funnel stage logged
  const needed = 2 * config.sessionsPerDay * 1.25 * config.retrieveK * BYTES_PER_IMPRESSION;
  const limit = getHeapStatistics().heap_size_limit;
  if (needed <= 0.9 * limit) return;
  const gb = (b: number) => (b / 2 ** 30).toFixed(1);
  const suggest = Math.ceil((needed * 1.3) / 2 ** 30) * 1024;
  throw new CropsError(
    `synthetic-world: these logs need about ${gb(needed)} GB of JS heap, more than this process's limit of ${gb(limit)} GB; ` +
      `run with NODE_OPTIONS=--max-old-space-size=${suggest}, or pick a smaller preset or fewer sessionsPerDay`,
  );
}

export default definePlugin({
  kind: 'dataset',
  name: 'synthetic-world',
  summary: 'seeded short-video search world with a biased legacy funnel, reformulations, feed logs and ground-truth grades',
  schema: SyntheticWorldParams,
  implementation: SyntheticWorldDataset,
  provides: ['world-ground-truth', ONLINE_SIMULATION_TRAIT],
  fillDefaults: withPresetValues,
});

/**
 * The params with each knob left out set to its preset's value, so a sweep that names the default
 * (`querySynonymRate: 0.3` on a preset with 0.3) reuses the trials that left it out, and a run's
 * params record the whole world it trained on.
 */
export function withPresetValues(params: SyntheticWorldParams): SyntheticWorldParams {
  const preset = PRESETS[params.preset] as unknown as Record<string, unknown>;
  const filled: Record<string, unknown> = { ...params };
  for (const key of Object.keys(SyntheticWorldParams.shape)) {
    if (filled[key] === undefined && key in preset) filled[key] = structuredClone(preset[key]);
  }
  return filled as SyntheticWorldParams;
}
