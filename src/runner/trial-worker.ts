/**
 * The worker side of a parallel sweep: a child process that loads the experiment again, activates
 * its own backend and tracker, and runs the trials the parent hands it one at a time, streaming
 * progress and results back over IPC.
 */
import { join } from 'node:path';
import type { Experiment } from '../config/experiment.ts';
import { CropsError, formatDiagnostic } from '../core/errors.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { MinedCache } from './mining.ts';
import type { TrialProgress } from './progress.ts';
import { createSweepServices, type SweepServices } from './sweep-setup.ts';
import { runTrial, type SweepContext } from './trial-runner.ts';
import type { FromWorker, ProgressEvent, ToWorker, WorkerInit, WorkerTrial } from './worker-protocol.ts';
import { toReported } from './trial-result.ts';
import { TAG } from '../tracking/run-tags.ts';

export type ExperimentLoader = (load: unknown) => Promise<{ experiment: Experiment; registry: PluginRegistry }>;

/** Training steps are sent at most this often; the last step always is. */
const STEP_EVERY_MS = 100;

interface Loaded {
  experiment: Experiment;
  registry: PluginRegistry;
  services: SweepServices;
  backend: string;
  init: WorkerInit;
  datasets: SweepContext['datasets'];
  mined: MinedCache;
}

function send(message: FromWorker): Promise<void> {
  return new Promise((done) => {
    if (!process.connected) return done();
    process.send!(message, undefined, {}, () => done());
  });
}

/** Forwards a trial's progress to the parent. */
class RemoteProgress implements TrialProgress {
  private lastStep = 0;

  private emit(event: ProgressEvent): void {
    void send({ type: 'progress', event });
  }

  trial(index: number, total: number, id: string): void {
    this.emit({ kind: 'trial', index, total, id });
  }

  phase(text: string): void {
    this.emit({ kind: 'phase', text });
  }

  step(step: number, total: number, values: Record<string, number>, stepsPerSecond: number): void {
    const now = Date.now();
    if (step < total && now - this.lastStep < STEP_EVERY_MS) return;
    this.lastStep = now;
    this.emit({ kind: 'step', step, total, values, stepsPerSecond });
  }

  line(text: string): void {
    this.emit({ kind: 'line', text });
  }
}

/** Serves trials until the parent says stop or goes away. Call once, from the worker's entry module. */
export function serveTrials(loadExperiment: ExperimentLoader): void {
  if (!process.send) throw new Error('serveTrials runs in a process started with an IPC channel (child_process.fork)');
  const controller = new AbortController();
  let interrupts = 0;
  // Ctrl-C on a terminal reaches the whole process group: stop the trial, record it KILLED, report
  const interrupt = () => {
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  let loaded: Loaded | undefined;
  let busy: Promise<void> = Promise.resolve();

  const finish = async (code: number) => {
    await loaded?.services.tracker.flush().catch(() => undefined);
    process.exit(code);
  };
  // the parent died or exited at once: end the running trial as KILLED, then leave
  process.on('disconnect', () => {
    controller.abort();
    void busy.then(() => finish(130));
  });

  const handle = async (m: ToWorker): Promise<void> => {
    if (m.type === 'init') {
      loaded = await initialise(m, loadExperiment);
      await send({ type: 'ready', backend: loaded.backend });
    } else if (m.type === 'trial') {
      if (!loaded) throw new Error('a trial arrived before the worker was initialised');
      await send(await runOne(loaded, m, controller.signal));
    } else if (m.type === 'stop') {
      await finish(0);
    }
  };
  process.on('message', (m: ToWorker) => {
    // an abort must not wait behind the trial it stops
    if (m.type === 'abort') return controller.abort();
    busy = busy
      .then(() => handle(m))
      .catch(async (e: unknown) => {
        await send({ type: 'fatal', message: describe(e) });
        await finish(1);
      });
  });
}

/** The error as one line for the parent to print; a CropsError's diagnostics lose their severity prefix. */
function describe(e: unknown): string {
  if (e instanceof CropsError) return e.diagnostics.map((d) => (d.file ? formatDiagnostic(d) : d.message)).join('; ');
  return e instanceof Error ? e.message : String(e);
}

async function initialise(m: WorkerInit, loadExperiment: ExperimentLoader): Promise<Loaded> {
  const { experiment, registry } = await loadExperiment(m.load);
  if (experiment.hash !== m.experimentHash) throw new Error(`the experiment changed on disk since the sweep started (${experiment.file}); run it again`);
  const services = createSweepServices(experiment, { registry, cacheRoot: m.cacheRoot, logLevel: m.logLevel });
  const backend = await services.activateBackend();
  return { experiment, registry, services, backend, init: m, datasets: new Map(), mined: new MinedCache(join(m.cacheRoot, 'mined')) };
}

async function runOne(l: Loaded, m: WorkerTrial, signal: AbortSignal): Promise<FromWorker> {
  const trial = l.experiment.trials[m.index];
  if (!trial) throw new Error(`no trial ${m.index} in ${l.experiment.file}`);
  // an interrupt that raced the hand-over: the trial was not started, so no run is recorded
  if (signal.aborted) return { type: 'unstarted', index: m.index };
  const ctx: SweepContext = {
    experiment: l.experiment,
    registry: l.registry,
    tracker: l.services.tracker,
    parent: m.parent,
    container: l.services.container,
    progress: new RemoteProgress(),
    cacheRoot: l.init.cacheRoot,
    logLevel: l.init.logLevel,
    signal,
    // the backend this process activated; with 'auto' it is the parent's choice on the same machine
    tags: { ...m.tags, [TAG.backend]: l.backend },
    datasets: l.datasets,
    mined: l.mined,
  };
  const r = await runTrial(trial, l.experiment.trials.length, ctx);
  return { type: 'result', ...toReported(m.index, r, 'a worker') };
}
