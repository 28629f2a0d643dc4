import type { Rng, RngPosition } from '../../src/core/rng.ts';

const starts = new WeakMap<object, Map<Rng, RngPosition>>();

/**
 * `rng`, placed where it stood when `input` was first embedded, so embedding one prepared input
 * again draws the same dropout masks. The trainer's split step (WebGPU, whose memory cannot be read
 * synchronously) runs the towers' forward pass twice, once for the scores and once for their
 * gradient; with fresh masks the second pass would differentiate another network than the one
 * whose loss it backpropagates. A single pass (wasm, tensorflow) draws exactly as before, and a
 * replayed pass leaves the stream where the first one left it.
 *
 * @param input the prepared input's `state` object, which lives as long as the batch
 */
export function masksFor(input: object, rng: Rng): Rng {
  let byStream = starts.get(input);
  if (!byStream) {
    byStream = new Map();
    starts.set(input, byStream);
  }
  const start = byStream.get(rng);
  if (start) rng.rewind(start);
  else byStream.set(rng, rng.position());
  return rng;
}
