/** Copies runs to an MLflow server: from a local file store, and what a spool still holds. */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlflowFileStore, type StoredRun } from './file-store.ts';
import { encodeMetricValue } from './rest-batch.ts';
import type { MlflowRestClient, RestRun } from './rest-client.ts';
import { ackOp, readSpool, removeRunSpool, sameServer, sendOp } from './spool.ts';
import { TAG } from './run-tags.ts';

/** The tag that names the file-store run a pushed run was copied from. */
export const PUSHED_FROM = TAG.pushedFrom;

export interface PushReport {
  /** runs created on the server */
  created: number;
  /** runs found on the server from an earlier, unfinished push and completed */
  completed: number;
  /** runs already on the server in their final state */
  unchanged: number;
  metricPoints: number;
  artifacts: number;
}

/**
 * Copies every active run of the file store at `root` to the server. A copied run carries
 * `crops.pushedFrom` = its source run id and the source's end time, so a second push finds it
 * and sends nothing, and a push cut short is completed by the next one (re-sent metric points,
 * params and artifacts are stored once). Parents go first so `mlflow.parentRunId` can point at
 * the parent's id on the server.
 */
export async function pushFileStore(root: string, client: MlflowRestClient, log: (line: string) => void = () => undefined): Promise<PushReport> {
  const store = new MlflowFileStore(root);
  const report: PushReport = { created: 0, completed: 0, unchanged: 0, metricPoints: 0, artifacts: 0 };
  for (const exp of await store.listExperiments()) {
    if (exp.lifecycleStage !== 'active') continue;
    const runs = await store.listRuns(exp.name);
    if (runs.length === 0) continue;
    const experimentId = await client.getOrCreateExperiment(exp.name);
    const onServer = new Map<string, RestRun>();
    for (const r of await client.searchRuns([experimentId])) {
      const from = r.data.tags?.find((t) => t.key === PUSHED_FROM)?.value;
      if (from) onServer.set(from, r);
    }
    const idOnServer = new Map<string, string>();
    for (const run of parentsFirst(runs)) {
      const existing = onServer.get(run.runId);
      if (existing && existing.info.status === run.status && run.status !== 'RUNNING' && Number(existing.info.end_time ?? -1) === run.endTime) {
        idOnServer.set(run.runId, existing.info.run_id);
        report.unchanged++;
        continue;
      }
      const parent = run.tags[TAG.parentRunId];
      const tags = { ...run.tags, [PUSHED_FROM]: run.runId, ...(parent ? { [TAG.parentRunId]: idOnServer.get(parent) ?? parent } : {}) };
      const info = existing
        ? existing.info
        : await client.createRun({ experimentId, runName: run.runName, startTime: run.startTime, userId: run.userId, tags, key: `push-${run.runId}` });
      idOnServer.set(run.runId, info.run_id);
      await client.logBatch(info.run_id, {
        params: Object.entries(run.params).map(([key, value]) => ({ key, value })),
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      });
      for (const key of Object.keys(run.metrics)) {
        const points = await store.metricHistory(run, key);
        await client.logBatch(info.run_id, { metrics: points.map((p) => ({ key, value: encodeMetricValue(p.value), step: p.step, timestamp: p.timestamp })) });
        report.metricPoints += points.length;
      }
      const artifactRoot = run.artifactUri.startsWith('file:') ? fileURLToPath(run.artifactUri) : join(store.root, run.experimentId, run.runId, 'artifacts');
      for (const path of await filesUnder(artifactRoot)) {
        await client.uploadArtifact(info.artifact_uri, path, await readFile(join(artifactRoot, ...path.split('/'))));
        report.artifacts++;
      }
      // the end time goes last: a run that has it on the server was copied completely
      if (run.status !== 'RUNNING') await client.updateRun(info.run_id, run.status, run.endTime ?? Date.now());
      report[existing ? 'completed' : 'created']++;
      log(`${existing ? 'completed' : 'copied'} run ${run.runName || run.runId} (${exp.name}) -> ${info.run_id}`);
    }
  }
  return report;
}

/** Sends the unacknowledged writes spooled for this server, then deletes their spool files. */
export async function pushSpool(dir: string, client: MlflowRestClient, log: (line: string) => void = () => undefined): Promise<{ runs: number; writes: number; otherServers: number }> {
  const out = { runs: 0, writes: 0, otherServers: 0 };
  for (const { header, pending } of await readSpool(dir)) {
    if (!sameServer(header.trackingUri, client.baseUrl)) {
      out.otherServers++;
      continue;
    }
    for (const op of pending) {
      await sendOp(client, dir, header, op);
      await ackOp(dir, header.runId, op.seq);
    }
    await removeRunSpool(dir, header.runId);
    out.runs++;
    out.writes += pending.length;
    if (pending.length > 0) log(`sent ${pending.length} spooled write(s) of run ${header.runId}`);
  }
  return out;
}

function parentsFirst(runs: StoredRun[]): StoredRun[] {
  const ids = new Set(runs.map((r) => r.runId));
  const depth = (r: StoredRun, seen = 0): number => {
    const parent = r.tags[TAG.parentRunId];
    const p = parent && ids.has(parent) && seen < runs.length ? runs.find((x) => x.runId === parent) : undefined;
    return p ? 1 + depth(p, seen + 1) : 0;
  };
  return runs.map((r) => [depth(r), r] as const).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/** Relative `/`-separated paths of the files below `dir` (none when it does not exist). */
async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) files.push(...(await filesUnder(join(dir, e.name), `${prefix}${e.name}/`)));
    else if (e.isFile()) files.push(`${prefix}${e.name}`);
  }
  return files;
}
