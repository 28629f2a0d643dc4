import type { Rng } from '../../../src/core/rng.ts';

/** How long to wait before retry number `attempt` (0-based). */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential back-off with "equal jitter": half the exponential step is fixed, half is random, so
 * clients that failed together do not retry together yet every wait still grows with the attempt.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy, rng: Rng): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(step / 2 + (rng.next() * step) / 2);
}

/**
 * The wait a server asked for in a `Retry-After` header (delay-seconds or an HTTP date), in ms;
 * undefined when the header is absent or unreadable.
 */
export function retryAfterMs(header: string | null, nowMs = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Resolves after `ms`, or rejects early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
