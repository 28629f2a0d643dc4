import { Container } from 'inversify';
import { stringify as toYaml } from 'yaml';
import type { Experiment, Trial } from '../config/experiment.ts';
import { DEV_SET, METRIC_SPEC } from '../config/trial-config.ts';
import { isDiskFull } from '../core/atomic-write.ts';
import { CropsError, TrialFailure } from '../core/errors.ts';
import { configHash } from '../core/hash.ts';
import type { LogLevel } from '../core/logger.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { Rng } from '../core/rng.ts';
import { redactAndCut } from '../core/secrets.ts';
import { TrialInfo } from '../core/services.ts';
import { trecDocno } from '../eval/external-ids.ts';
import type { LogStore } from '../extension-points/log-store.ts';
import { evaluate, parseEvalSpec, specKey } from '../eval/evaluate.ts';
import { metricCurves } from '../eval/metric-curves.ts';
import { buildTestSets, rerankedSets } from '../eval/test-sets.ts';
import { neverShownParams, testSetOptions } from './test-set-setup.ts';
import {
  Dataset,
  Encoder,
  Loss,
  Retriever,
  Sampler,
  type Metric,
  type RunRef,
  type Tracker,
} from '../extension-points/index.ts';
import { isLogStep, train, type SelectionOptions } from '../training/trainer.ts';
import { carveDevSplit } from './dev-split.ts';
import { flattenParams, metricKey } from '../tracking/mlflow-keys.ts';
import { MinedCache, mineTrainingSet } from './mining.ts';
import { runOnlineTest } from './online-test.ts';
import { PluginFactory } from './plugin-factory.ts';
import { skipIfFinished } from './sweep-setup.ts';
import { claimHolder, holderText, waitForHolder } from './trial-claims.ts';
import type { TrialProgress } from './progress.ts';
import { towerArtifacts } from './save-towers.ts';
import { trialArtifacts, type CurvePoint } from './trial-artifacts.ts';
import type { SelectionEnd, TrialResult } from './trial-result.ts';
import { DEV_CURVE_KEY, SELECTION_KEY, TAG, failureTag, pluginTag } from '../tracking/run-tags.ts';

export type { TrialResult, TrialStatus } from './trial-result.ts';

export interface SweepContext {
  experiment: Experiment;
  registry: PluginRegistry;
  tracker: Tracker;
  parent: RunRef;
  container: Container;
  progress: TrialProgress;
  cacheRoot: string;
  logLevel: LogLevel;
  signal: AbortSignal;
  tags: Record<string, string>;
  /** loaded datasets by config hash, the most recently used last (at most {@link KEPT_DATASETS}) */
  datasets: Map<string, Promise<{ dataset: Dataset; store: LogStore }>>;
  /** mined candidates, shared by the trials of a sweep and kept on disk across runs */
  mined: MinedCache;
}

/** Runs one trial from logs to metrics, recording it as a child run of the sweep. */
/**
 * How many loaded datasets a process keeps for the trials after the current one. A sweep over
 * worlds and a world knob meets a new dataset every few trials, and each simulated world is large:
 * kept without bound, the worlds of the vocabulary map on three worlds ran a worker out of Node's
 * default 4 GiB heap. Two still spare the reload where trials of one dataset come close together.
 */
export const KEPT_DATASETS = 2;

/** The loaded dataset of `key`, now marked as the most recently used; undefined when not kept. */
export function recallDataset<T>(kept: Map<string, T>, key: string): T | undefined {
  const value = kept.get(key);
  if (value !== undefined) {
    kept.delete(key);
    kept.set(key, value);
  }
  return value;
}

/** Keeps a dataset as the most recently used, letting the least recently used go beyond {@link KEPT_DATASETS}. */
export function keepDataset<T>(kept: Map<string, T>, key: string, value: T): void {
  kept.delete(key);
  kept.set(key, value);
  while (kept.size > KEPT_DATASETS) kept.delete(kept.keys().next().value!);
}

export async function runTrial(trial: Trial, total: number, ctx: SweepContext): Promise<TrialResult> {
  const started = Date.now();
  const cfg = trial.config;
  const { progress, tracker } = ctx;
  progress.trial(trial.index, total, trial.id);
  const container = new Container({ parent: ctx.container });
  container.bind(TrialInfo).toConstantValue({ id: trial.id, seed: cfg.seed, configHash: trial.hash, config: cfg, experimentFile: ctx.experiment.file } satisfies TrialInfo);
  const factory = new PluginFactory(container, { registry: ctx.registry, rng: new Rng(cfg.seed), cacheRoot: ctx.cacheRoot, logLevel: ctx.logLevel });

  const plugins = Object.fromEntries(
    Object.entries(cfg)
      .filter(([, v]) => v && typeof v === 'object' && ('use' in v || Array.isArray(v)))
      .map(([k, v]) => [pluginTag(k), Array.isArray(v) ? v.map((r: { use: string }) => r.use).join('+') : (v as { use: string }).use]),
  );
  let run: RunRef;
  try {
    const claimed = await startClaimedRun(trial, ctx, () =>
      tracker.startRun({
        experimentName: ctx.experiment.name,
        runName: trial.id,
        parent: ctx.parent,
        tags: { ...ctx.tags, ...plugins, [TAG.trialId]: trial.id, [TAG.configHash]: trial.hash, [TAG.seed]: String(cfg.seed) },
        params: flattenParams(cfg),
      }),
    );
    // another process ran the trial meanwhile (its result), or an interrupt came while waiting
    if ('status' in claimed) return claimed;
    run = claimed;
  } catch (e) {
    // a problem of the experiment stops everything; a tracker that cannot be reached ends this trial only
    if (e instanceof CropsError) throw e;
    // the disk-full message already says what to do; a tracker that is down needs waiting for
    const todo = isDiskFull(e) ? '' : '; run the experiment again once it is reachable';
    const error = `not started: the tracker could not create its run (${redactAndCut(e instanceof Error ? e.message : String(e), 1000)})${todo}`;
    return { trial, status: 'FAILED', metrics: {}, error, seconds: (Date.now() - started) / 1000, trackerDown: true };
  }
  const disposables: Array<{ dispose?(): void }> = [];
  try {
    progress.phase('loading data');
    const datasetKey = configHash(cfg.dataset);
    let loaded = recallDataset(ctx.datasets, datasetKey);
    if (!loaded) {
      const dataset = factory.create<Dataset>('dataset', cfg.dataset);
      loaded = dataset.load().then((store) => ({ dataset, store }));
      keepDataset(ctx.datasets, datasetKey, loaded);
    }
    const { dataset, store } = await loaded;
    container.bind(Dataset).toConstantValue(dataset);
    const dev = cfg.train.select ? carveDevSplit(store, cfg.train.select.devShare) : undefined;
    progress.phase('mining positives');
    const { data, from, scheme } = await mineTrainingSet(cfg, dev?.trainStore ?? store, factory, ctx.mined, ctx.registry, disposables, dev && new Set(dev.set.queries));
    const reused = from.filter((f) => f !== 'mined').length;
    if (reused > 0) progress.phase(`reused the mined candidates of ${reused} of ${from.length} positive source${from.length === 1 ? '' : 's'} (cache)`);
    const counts: Record<string, string> = {};
    for (const [o, n] of Object.entries(data.originCounts)) counts[`data.origin.${o}`] = String(n);
    for (const [g, n] of Object.entries(data.gradeCounts)) counts[`data.grade.${g}`] = String(n);
    counts['data.queries'] = String(data.lists.length);
    if (dev) {
      counts['data.dev.queries'] = String(dev.set.queries.length);
      counts['data.dev.origin'] = dev.origin;
    }
    await tracker.logParams(run, counts);
    if (data.lists.length === 0) throw new TrialFailure('no training query has a positive: check the positive sources and the label scheme');

    const retriever = factory.provide<Retriever>(Retriever, 'retriever', cfg.retriever);
    disposables.push(retriever);
    let encoder: Encoder | undefined;
    let curves: CurvePoint[] = [];
    let selectionEnd: SelectionEnd | undefined;
    const specs = cfg.eval.metrics.map((s) => {
      const [, metric, k, set] = METRIC_SPEC.exec(s)!;
      return { metric: metric!, k: Number(k), set: set! };
    });
    const selectSpec = cfg.train.select ? parseEvalSpec(cfg.train.select.metric) : undefined;
    const metrics = new Map<string, Metric>();
    for (const s of [...specs, ...(selectSpec ? [selectSpec] : [])]) if (!metrics.has(s.metric)) metrics.set(s.metric, factory.create<Metric>('metric', { use: s.metric, params: {} }));
    const docno = (id: number) => trecDocno(store, id);
    if (!retriever.lexical) {
      encoder = factory.provide<Encoder>(Encoder, 'encoder', cfg.encoder);
      if (cfg.train.saveTowers && !encoder.save) throw new TrialFailure(`train.saveTowers: encoder '${cfg.encoder.use}' cannot save its towers; pick one that can (e.g. hash-mlp)`);
      disposables.push(encoder);
    }
    if (encoder && cfg.train.steps > 0) {
      const loss = factory.provide<Loss>(Loss, 'loss', cfg.loss);
      disposables.push(loss);
      const sampler = factory.provide<Sampler>(Sampler, 'sampler', cfg.sampler);
      disposables.push(sampler);
      const enc = encoder;
      await sampler.init(data, { batchQueries: cfg.train.batchQueries, steps: cfg.train.steps, encode: (texts, side) => enc.encode(texts, side) });
      progress.phase(`training ${encoder.parameterCount().toLocaleString('en-US')} parameters on ${data.lists.length} queries`);
      const t0 = Date.now();
      const select = cfg.train.select;
      const selection: SelectionOptions | undefined =
        select && dev && selectSpec
          ? {
              every: select.every,
              patience: select.patience,
              minDelta: select.minDelta,
              score: async (stepsDone) => {
                await retriever.build(store.items, enc);
                const scored = await evaluate(retriever, new Map([[DEV_SET, dev.set]]), [selectSpec], metrics, { queryBatch: cfg.eval.queryBatch, docno });
                const value = scored.values[specKey(selectSpec)] ?? Number.NaN;
                tracker.logMetrics(run, [{ key: DEV_CURVE_KEY, value, step: stepsDone }]);
                return value;
              },
            }
          : undefined;
      const result = await train({
        selection,
        encoder,
        loss,
        sampler,
        items: data.items,
        settings: cfg.train,
        lossContext: { positiveGrade: scheme.positiveGrade },
        signal: ctx.signal,
        onStep: (step, stats, last) => {
          const secs = (Date.now() - t0) / 1000;
          const { ms: _ms, lr: _lr, ...shown } = stats;
          progress.step(step + 1, cfg.train.steps, shown, secs > 0 ? (step + 1) / secs : 0);
          if (isLogStep(step, cfg.train) || last) {
            tracker.logMetrics(run, Object.entries(stats).filter(([k]) => k !== 'ms').map(([k, v]) => ({ key: `train/${k}`, value: v, step })));
          }
        },
      });
      curves = result.curves.step.map((step, i) => ({ step, values: Object.fromEntries(Object.entries(result.curves).filter(([k]) => k !== 'step').map(([k, v]) => [k, v[i]!])) }));
      tracker.logMetrics(run, [{ key: 'train/ms_per_step', value: result.msPerStep, step: cfg.train.steps - 1 }]);
      if (result.selection && selectSpec) {
        const { bestStep, bestScore, stepsRun, stoppedEarly } = result.selection;
        selectionEnd = { stepsRun, bestStep, stoppedEarly };
        tracker.logMetrics(run, [
          { key: SELECTION_KEY.bestStep, value: bestStep, step: stepsRun },
          { key: SELECTION_KEY.bestDevMetric, value: bestScore, step: bestStep },
          { key: SELECTION_KEY.stepsRun, value: stepsRun, step: stepsRun },
          { key: SELECTION_KEY.stoppedEarly, value: stoppedEarly ? 1 : 0, step: stepsRun },
        ]);
        const how = stoppedEarly ? `stopped early after ${stepsRun} of ${cfg.train.steps} steps` : `ran all ${stepsRun} steps`;
        progress.phase(`${how}; restored the weights of step ${bestStep} (${select!.metric} = ${bestScore.toFixed(4)})`);
      }
    }
    if (encoder) {
      if (cfg.train.saveTowers) for (const [path, bytes] of await towerArtifacts(encoder, cfg.encoder)) await tracker.logArtifact(run, path, bytes);
    }

    progress.phase('evaluating');
    await retriever.build(store.items, encoder);
    const sets = buildTestSets(store, testSetOptions(dataset, cfg.eval.qr));
    if (dev && !sets.has(DEV_SET)) sets.set(DEV_SET, dev.set);
    await tracker.logParams(run, neverShownParams(store, sets, new Set(specs.map((s) => s.set))));
    const evaluation = await evaluate(retriever, sets, specs, metrics, { queryBatch: cfg.eval.queryBatch, runDepth: cfg.eval.runDepth, docno, rerankSets: rerankedSets(store) });
    tracker.logMetrics(run, Object.entries(evaluation.values).map(([k, v]) => ({ key: metricKey(k), value: v, step: cfg.train.steps })));
    for (const w of evaluation.warnings) progress.phase(`warning: ${w}`);
    if (cfg.eval.online) {
      progress.phase('simulating the online A/B day');
      const online = await runOnlineTest(dataset, retriever, cfg.eval.online, cfg.eval.queryBatch);
      tracker.logMetrics(run, Object.entries(online.metrics).map(([key, value]) => ({ key, value, step: cfg.train.steps })));
      for (const [path, content] of online.artifacts) await tracker.logArtifact(run, path, content);
    }
    const cutoffCurves = metricCurves(evaluation, sets, specs, metrics, docno);
    for (const [path, content] of trialArtifacts(trial, cfg, evaluation, sets, curves, docno, cutoffCurves)) await tracker.logArtifact(run, path, content);
    await tracker.logArtifact(run, 'config.yaml', toYaml(cfg));
    await tracker.endRun(run, 'FINISHED');
    return { trial, status: 'FINISHED', metrics: evaluation.values, runId: run.runId, seconds: (Date.now() - started) / 1000, selection: selectionEnd };
  } catch (e) {
    const killed = ctx.signal.aborted;
    // redacted before the cut, so no part of a secret reaches the tag, the table or stderr
    const message = redactAndCut(e instanceof Error ? e.message : String(e), 4000);
    // a full disk may refuse the error tags too: the run must still be closed, and the error is in the result
    await tracker.setTags(run, { [TAG.error]: message, ...(e instanceof TrialFailure ? detailTags(e.details) : {}) }).catch(() => undefined);
    await tracker.endRun(run, killed ? 'KILLED' : 'FAILED');
    return { trial, status: killed ? 'KILLED' : 'FAILED', metrics: {}, runId: run.runId, error: message, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const d of disposables) d.dispose?.();
  }
}

/**
 * Starts the trial's run once no other live process holds the trial (see trial-claims.ts): waits for
 * a holder to end, then takes its result when it finished; two processes that started the same
 * trial at the same moment keep the earlier run, the later one is ended as KILLED with the reason.
 */
async function startClaimedRun(trial: Trial, ctx: SweepContext, start: () => Promise<RunRef>): Promise<RunRef | TrialResult> {
  const name = ctx.experiment.name;
  const started = Date.now();
  let holder = await claimHolder(ctx.tracker, name, trial.hash);
  for (;;) {
    if (holder) {
      ctx.progress.phase(`waiting: ${holderText(holder)} is running this trial`);
      await waitForHolder(ctx.tracker, name, trial.hash, holder, ctx.signal);
      if (ctx.signal.aborted) return { trial, status: 'KILLED', metrics: {}, seconds: (Date.now() - started) / 1000 };
      const done = await skipIfFinished(ctx.tracker, ctx.experiment, trial, ctx.progress);
      if (done) return done;
    }
    const run = await start();
    holder = await claimHolder(ctx.tracker, name, trial.hash, run);
    if (!holder) return run;
    await ctx.tracker.setTags(run, { [TAG.endReason]: `another process was running this trial: ${holderText(holder)}` });
    await ctx.tracker.endRun(run, 'KILLED');
  }
}

function detailTags(details: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(details).map(([k, v]) => [failureTag(k), typeof v === 'string' ? v : JSON.stringify(v)]));
}
