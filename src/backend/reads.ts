/**
 * What the active backend can do on the host's behalf. Core code asks here instead of naming
 * backends, so a loop written for wasm also runs where device memory is only readable asynchronously.
 */
import * as tf from '@tensorflow/tfjs-core';

/** WebGPU maps buffers asynchronously; its `dataSync` needs a canvas, which Node lacks. */
const ASYNC_ONLY = new Set(['webgpu']);

/** Whether `dataSync`/`arraySync` work on tensors the active backend computed. */
export function canReadSync(): boolean {
  return !ASYNC_ONLY.has(tf.getBackend());
}

/**
 * Whether `tf.topk` can be trusted on rows of many thousands of entries: WebGPU's kernel sorts whole
 * rows in shared memory, which is slow there and unreliable on wide rows; callers select on the host instead.
 */
export function hasWideTopK(): boolean {
  return !ASYNC_ONLY.has(tf.getBackend());
}

/** The backend that runs host-side steps (losses reading their inputs) when {@link canReadSync} is false; always registered alongside WebGPU. */
export const HOST_BACKEND = 'cpu';
