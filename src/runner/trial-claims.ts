/**
 * Runs left behind and trials taken: what a sweep checks in the store before it writes.
 *
 * - Orphans: a run still RUNNING whose owner is gone (see tracking/run-owner.ts) is closed as
 *   KILLED with the reason, so the store never claims a dead process is still working.
 * - Claims: a trial's RUNNING run is its claim. Before a trial starts, and again right after its
 *   run exists (two processes may have looked at the same moment), the store is searched for live
 *   runs of the same configuration; the earliest (start time, then run id) holds the claim and the
 *   others wait for it, then take its result. This works through the tracker alone, so it holds
 *   for the file store and for an MLflow server, with in-process and worker launchers alike.
 */
import type { OpenRun, RunRef, Tracker } from '../extension-points/tracker.ts';
import { ownerGone } from '../tracking/run-owner.ts';
import { TAG } from '../tracking/run-tags.ts';

const POLL_MS = 1000;

/**
 * Closes every RUNNING run of the experiment whose owner is gone; returns one line per run closed.
 * Found by a later process the run is KILLED (nobody knows how it ended); `failed` is for a sweep that
 * saw the owner die mid-trial (a worker killed by the OOM killer): the run is FAILED with that error.
 */
export async function closeOrphanedRuns(tracker: Tracker, experimentName: string, failed?: { error: string }): Promise<string[]> {
  if (!tracker.findRunning || !tracker.closeRun) return [];
  const notes: string[] = [];
  for (const open of await tracker.findRunning(experimentName)) {
    const reason = ownerGone(open.tags);
    if (!reason) continue;
    if (failed) await tracker.closeRun(open.run, 'FAILED', { [TAG.endReason]: `closed by the sweep: ${reason}`, [TAG.error]: failed.error.slice(0, 4000) });
    else await tracker.closeRun(open.run, 'KILLED', { [TAG.endReason]: `closed by a later crops process: ${reason}`, [TAG.error]: `interrupted: ${reason}` });
    notes.push(`closed run '${open.runName}' (${open.run.runId}) left RUNNING: ${reason}`);
  }
  return notes;
}

/** Live runs of this configuration other than `own`. */
async function liveRivals(tracker: Tracker, experimentName: string, configHash: string, own?: RunRef): Promise<{ rivals: OpenRun[]; mine?: OpenRun }> {
  if (!tracker.findRunning) return { rivals: [] };
  const open = (await tracker.findRunning(experimentName, configHash)).filter((r) => !ownerGone(r.tags));
  return { rivals: open.filter((r) => r.run.runId !== own?.runId), mine: open.find((r) => r.run.runId === own?.runId) };
}

const earlier = (a: OpenRun, b: OpenRun) => a.startTime - b.startTime || (a.run.runId < b.run.runId ? -1 : a.run.runId > b.run.runId ? 1 : 0);

/**
 * The live run that holds the claim on this configuration, when it is not `own` (or, before `own`
 * exists, any live run of it). An unreachable store answers undefined: the run then goes ahead.
 */
export async function claimHolder(tracker: Tracker, experimentName: string, configHash: string, own?: RunRef): Promise<OpenRun | undefined> {
  const found = await liveRivals(tracker, experimentName, configHash, own).catch(() => ({ rivals: [] as OpenRun[], mine: undefined }));
  if (found.rivals.length === 0) return undefined;
  if (!own) return found.rivals.sort(earlier)[0];
  // our own run not listed yet: the rival was first
  if (!found.mine) return found.rivals.sort(earlier)[0];
  const first = [found.mine, ...found.rivals].sort(earlier)[0]!;
  return first.run.runId === own.runId ? undefined : first;
}

/** Describes the holder for progress lines. */
export function holderText(holder: OpenRun): string {
  return `run ${holder.run.runId} of process ${holder.tags[TAG.ownerPid] ?? '?'} on ${holder.tags[TAG.ownerHost] ?? '?'}`;
}

/** Waits until `holder` is no longer a live RUNNING run (or `signal` aborts). */
export async function waitForHolder(tracker: Tracker, experimentName: string, configHash: string, holder: OpenRun, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await new Promise<void>((r) => setTimeout(r, POLL_MS));
    const { rivals } = await liveRivals(tracker, experimentName, configHash).catch(() => ({ rivals: [] as OpenRun[] }));
    if (!rivals.some((r) => r.run.runId === holder.run.runId)) return;
  }
}
