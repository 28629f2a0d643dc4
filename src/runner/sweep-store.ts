/**
 * Reading a sweep's runs and ending runs that their own process could not end (a task the scheduler
 * killed outright), on a file store or an MLflow server alike.
 */
import type { RunRef, RunStatus } from '../extension-points/index.ts';
import { MlflowFileStore } from '../tracking/file-store.ts';
import { FileSweepReader } from '../tracking/file-sweep-reader.ts';
import { MlflowRestClient } from '../tracking/rest-client.ts';
import { RestSweepReader } from '../tracking/rest-sweep-reader.ts';
import type { SweepReader } from '../tracking/sweep-reader.ts';
import type { TrackingTarget } from '../tracking/tracking-uri.ts';

export interface SweepStore {
  reader: SweepReader;
  /** sets tags on a run, then ends it */
  close(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, tags: Record<string, string>): Promise<void>;
  setTags(run: RunRef, tags: Record<string, string>): Promise<void>;
}

export function openSweepStore(target: TrackingTarget): SweepStore {
  if (target.kind === 'http') {
    const client = new MlflowRestClient(target.url);
    const setTags = async (run: RunRef, tags: Record<string, string>) => {
      for (const [k, v] of Object.entries(tags)) await client.setTag(run.runId, k, v);
    };
    return {
      reader: new RestSweepReader(client),
      setTags,
      close: async (run, status, tags) => {
        await setTags(run, tags);
        await client.updateRun(run.runId, status, Date.now());
      },
    };
  }
  const store = new MlflowFileStore(target.root);
  return {
    reader: new FileSweepReader(target.root),
    setTags: (run, tags) => store.setTags(run, tags),
    close: async (run, status, tags) => {
      await store.setTags(run, tags);
      await store.endRun(run, status);
    },
  };
}
