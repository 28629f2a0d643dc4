/**
 * Ends the run of a trial whose process died before it could end the run itself (a worker killed
 * by the out-of-memory killer, a native crash), so that no run stays RUNNING.
 */
import type { Experiment } from '../config/experiment.ts';
import type { RunRef } from '../extension-points/index.ts';
import { resolveTrackingUri } from '../tracking/tracking-uri.ts';
import { TAG } from '../tracking/run-tags.ts';
import { openSweepStore } from './sweep-store.ts';

export async function endOrphanedRun(experiment: Experiment, parent: RunRef, trialId: string, error: string): Promise<string | undefined> {
  const tracker = experiment.trials[0]!.config.tracker as { use: string; params?: { trackingUri?: string } };
  if (tracker.use !== 'mlflow') return undefined;
  const store = openSweepStore(resolveTrackingUri(tracker.params?.trackingUri));
  const runs = await store.reader.childRuns(parent);
  const run = runs.filter((r) => r.tags[TAG.trialId] === trialId && r.status === 'RUNNING').at(-1);
  if (!run) return undefined;
  await store.close(run, 'FAILED', { [TAG.error]: error.slice(0, 4000) });
  return run.runId;
}
