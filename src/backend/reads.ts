/**
 * What the active backend can do on the host's behalf. Core code asks here instead of naming
 * backends, so a loop written for wasm also runs where device memory is only readable asynchronously.
 * Backends declare it when they load (`readsSync`, `hostBackend` of their BackendLoader).
 */
import * as tf from '@tensorflow/tfjs-core';

/** TensorFlow.js backends whose memory is read asynchronously only -> the backend that runs host steps. */
const asyncOnly = new Map<string, string>();
/** TensorFlow.js backends whose kernel launches cost more than their work on small tensors. */
const launchBoundBackends = new Set<string>();

/** Records how a TensorFlow.js backend reads and launches kernels; called when a backend is activated. */
export function noteBackendReads(tfjsName: string, readsSync: boolean, hostBackend?: string, launchBound = false): void {
  if (launchBound) launchBoundBackends.add(tfjsName);
  else launchBoundBackends.delete(tfjsName);
  if (readsSync) asyncOnly.delete(tfjsName);
  else {
    if (!hostBackend) throw new Error(`backend '${tfjsName}' reads asynchronously only and names no host backend for host-side steps`);
    asyncOnly.set(tfjsName, hostBackend);
  }
}

/** Whether the active backend pays per kernel launch more than per element (see BackendLoader.launchBound). */
export function isLaunchBound(): boolean {
  return launchBoundBackends.has(tf.getBackend());
}

/** Whether `dataSync`/`arraySync` work on tensors the active backend computed. */
export function canReadSync(): boolean {
  return !asyncOnly.has(tf.getBackend());
}

/**
 * Whether `tf.topk` can be trusted on rows of many thousands of entries: on backends without
 * synchronous reads (WebGPU) the kernel sorts whole rows in shared memory, which is slow and
 * unreliable on wide rows; callers select on the host instead.
 */
export function hasWideTopK(): boolean {
  return !asyncOnly.has(tf.getBackend());
}

/** The backend that runs host-side steps (losses reading their inputs) when {@link canReadSync} is false. */
export function hostBackend(): string {
  const active = tf.getBackend();
  return asyncOnly.get(active) ?? active;
}
