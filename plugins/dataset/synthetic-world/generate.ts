import { Rng } from '../../../src/core/rng.ts';
import type { LogStore } from '../../../src/extension-points/log-store.ts';
import { simulateDay, type DayLog } from './behaviour.ts';
import { worldDiagnostics } from './diagnostics.ts';
import { buildJudgments, buildQuerySlices, type JudgedSet } from './judged.ts';
import { LegacyFunnel } from './legacy-funnel.ts';
import { TEST_DAY, TRAIN_DAY, type WorldConfig } from './presets.ts';
import { World } from './world.ts';

/** A simulated world with its logs and the hidden per-session facts behind them. */
export interface GeneratedWorld {
  world: World;
  store: LogStore;
  train: DayLog;
  test: DayLog;
  /** the judged queries, their qrels and the sampled pool they started from */
  judged: JudgedSet;
}

/**
 * Builds the world and simulates the training day (legacy policy) and the test day (its own
 * exposure policy). Deterministic in the config: equal configs give identical logs.
 */
export function generateWorld(config: WorldConfig, world: World = new World(config)): GeneratedWorld {
  const funnel = new LegacyFunnel(world);
  const rng = new Rng(config.seed).fork('logs');
  const train = simulateDay(world, funnel, TRAIN_DAY, 0, rng.fork('train'), 0);
  const test = simulateDay(world, funnel, TEST_DAY, config.testExploration, rng.fork('test'), train.split.sessions.length);
  const judged = buildJudgments(world, test.split.sessions, rng.fork('judged'), config.judgedPairs);
  const store: LogStore = {
    items: world.logItems,
    train: train.split,
    test: test.split,
    judgments: judged.judgments,
    ...(config.judgedPairs === 'all-relevant' ? { judgmentsComplete: true } : {}),
    querySlices: buildQuerySlices(world, [...train.split.sessions, ...test.split.sessions]),
    description: { world: 'synthetic-world', seed: config.seed, ...worldDiagnostics(world, train, test, judged) },
  };
  return { world, store, train, test, judged };
}
